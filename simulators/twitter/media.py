"""The X API v1.1 media upload (what tweepy's ``API.media_upload`` calls), kept in memory.

    POST /1.1/media/upload.json   multipart ``media``                  -> simple upload (images)
    POST /1.1/media/upload.json   command=INIT|APPEND|FINALIZE|STATUS -> chunked upload (video, GIF)

Uploaded media ids can then be attached with ``POST /2/tweets {"media": {"media_ids": [...]}}``.
"""

from __future__ import annotations

import email.parser
import itertools
import threading
from typing import Any
from urllib.parse import parse_qsl

from .state import ApiError

MAX_BYTES = {"image": 5 * 1024 * 1024, "image/gif": 15 * 1024 * 1024, "video": 512 * 1024 * 1024}
ids = itertools.count(1_600_000_000_000_000_000)


def _bad(detail: str) -> ApiError:
    return ApiError(400, {"errors": [{"code": 324, "message": detail}]})


def _form(req) -> dict[str, Any]:
    """Fields of a multipart/form-data or urlencoded body (bytes for files, str otherwise)."""
    ctype = req.headers.get("Content-Type", "")
    fields: dict[str, Any] = dict(req.params)
    if ctype.startswith("multipart/form-data"):
        msg = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.raw_body
        )
        for part in msg.get_payload() if msg.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            fields[name] = (
                payload
                if part.get_filename() or name == "media"
                else payload.decode("utf-8", "replace")
            )
    elif req.raw_body:
        fields.update(parse_qsl(req.raw_body.decode("utf-8", "replace")))
    return fields


def _kind(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


class MediaStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.media: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        with self.lock:
            self.media.clear()

    def known(self, media_id: str, user_id: str) -> bool:
        m = self.media.get(str(media_id))
        return bool(m and m["user_id"] == user_id and m["state"] == "succeeded")

    def _limit(self, ctype: str) -> int:
        return MAX_BYTES.get(ctype) or MAX_BYTES[ctype.split("/")[0]]

    def upload(self, req) -> tuple[int, dict[str, Any]]:
        fields = _form(req)
        command = fields.get("command")
        if command is None:
            data = fields.get("media")
            if not isinstance(data, bytes) or not data:
                raise _bad("media parameter is missing.")
            ctype = _kind(data)
            if ctype is None or ctype == "video/mp4":
                raise _bad(
                    "Invalid or unsupported media: upload JPEG, PNG, GIF or WEBP images here, videos in chunks."
                )
            if len(data) > self._limit(ctype):
                raise _bad(f"File size exceeds {self._limit(ctype)} bytes.")
            return 200, self._store(req.user.id, ctype, data)
        with self.lock:
            if command == "INIT":
                ctype = fields.get("media_type", "")
                total = int(fields.get("total_bytes") or 0)
                if not ctype.startswith(("image/", "video/")) or total <= 0:
                    raise _bad("INIT needs media_type and total_bytes.")
                if total > self._limit(ctype):
                    raise _bad(f"File size exceeds {self._limit(ctype)} bytes.")
                mid = str(next(ids))
                self.media[mid] = {
                    "user_id": req.user.id,
                    "type": ctype,
                    "size": total,
                    "chunks": {},
                    "state": "pending",
                }
                return 202, {
                    "media_id": int(mid),
                    "media_id_string": mid,
                    "expires_after_secs": 86400,
                }
            mid = str(fields.get("media_id", ""))
            m = self.media.get(mid)
            if m is None or m["user_id"] != req.user.id:
                raise _bad("Invalid media_id.")
            if command == "APPEND":
                data = fields.get("media")
                if not isinstance(data, bytes):
                    raise _bad("APPEND needs media.")
                m["chunks"][int(fields.get("segment_index") or 0)] = data
                return 204, {}
            if command in ("FINALIZE", "STATUS"):
                data = b"".join(m["chunks"][i] for i in sorted(m["chunks"]))
                if command == "FINALIZE":
                    if len(data) != m["size"] or _kind(data) != m["type"]:
                        m["state"] = "failed"
                        raise _bad("The uploaded file does not match total_bytes or media_type.")
                    m["state"] = "succeeded"
                return 200, {
                    "media_id": int(mid),
                    "media_id_string": mid,
                    "size": m["size"],
                    "expires_after_secs": 86400,
                    "processing_info": {"state": m["state"], "progress_percent": 100},
                }
        raise _bad(f"Unknown command {command!r}.")

    def _store(self, user_id: str, ctype: str, data: bytes) -> dict[str, Any]:
        with self.lock:
            mid = str(next(ids))
            self.media[mid] = {
                "user_id": user_id,
                "type": ctype,
                "size": len(data),
                "chunks": {0: data},
                "state": "succeeded",
            }
        return {
            "media_id": int(mid),
            "media_id_string": mid,
            "size": len(data),
            "expires_after_secs": 86400,
            "image": {"image_type": ctype, "w": 0, "h": 0},
        }
