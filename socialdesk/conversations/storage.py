"""Attachments' files, wherever `default_storage` keeps them: the data folder's `media/` or an
S3-compatible bucket (settings `_media_storage`, docs/deploy.md). Nothing else touches the files:
uploads are saved by the `FileField` (through `default_storage`), downloads and the outbox read
them here.
"""

import shutil
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import PurePosixPath

from django.core.files.storage import default_storage


def signed_download_url(name: str, *, content_type: str, filename: str) -> str | None:
    """A short-lived signed link that downloads the object `name` straight from the bucket, or
    None where the storage cannot sign one (the local folder, or an unsigned bucket).

    S3's GetObject takes `response-content-type` and `response-content-disposition` on a signed
    request and answers with them as its headers
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Overriding response
    header values"): the file comes as a download under its safe name and detected type, whatever
    its bytes look like. The link is signed with Signature Version 4 in the query string
    (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html) and expires
    after SOCIALDESK_S3_LINK_SECONDS.
    """
    if not getattr(default_storage, "querystring_auth", False) or getattr(
        default_storage, "custom_domain", None
    ):
        return None
    from django.utils.http import content_disposition_header

    return default_storage.url(
        name,
        parameters={
            "ResponseContentType": content_type or "application/octet-stream",
            "ResponseContentDisposition": content_disposition_header(True, filename),
        },
    )


def _local_path(name: str) -> str | None:
    try:
        return default_storage.path(name)
    except NotImplementedError:  # a bucket: no path on this machine
        return None


@contextmanager
def local_files(attachments):
    """[(path, content_type)] of `attachments` on this machine, for the platforms' client
    libraries (they upload from a path): the file itself in the local folder, a temporary copy
    read through the storage otherwise, removed afterwards."""
    with ExitStack() as stack:
        out = []
        for a in attachments:
            path = _local_path(a.file.name)
            if path is None:
                suffix = PurePosixPath(a.file.name).suffix
                copy = stack.enter_context(tempfile.NamedTemporaryFile(suffix=suffix))
                with default_storage.open(a.file.name, "rb") as source:
                    shutil.copyfileobj(source, copy)
                copy.flush()
                path = copy.name
            out.append((path, a.content_type))
        yield out
