"""Static files under content-hashed names, without breaking a checkout that never collected them."""

from urllib.parse import unquote, urlsplit

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage; a file missing from the manifest (nothing collected yet, as in
    a source checkout, or a file added since) keeps its plain name, which WhiteNoise still serves
    from the apps, instead of failing the page. `check --deploy` reports an uncollected install."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        key = self.hash_key(self.clean_name(urlsplit(unquote(name)).path.strip()))
        if key not in self.hashed_files:
            return name
        return super().stored_name(name)
