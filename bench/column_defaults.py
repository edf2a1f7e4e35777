"""The value a bench fill writes into a column it does not name, so a new NOT NULL column
never breaks a fill: the model's own default, else NULL where allowed, else an empty value."""


def stand_in(field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    return "" if field.get_internal_type() in ("CharField", "TextField", "SlugField") else 0
