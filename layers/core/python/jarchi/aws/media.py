"""S3 objects of the two content buckets: audio (`media`) and contact lists (`lists`).

The one place that talks to S3: `S3MediaStore` (the content's `MediaStore` port) and `S3ListFiles` (the
contact lists' `ListFiles` port); the campaign audience (`jarchi.store.recipients`) uses the list-object
functions. Keys are made here too, so that every writer and reader agrees:

- ``audio/{account_id}/{audio_id}.{format}`` in the media bucket (uploads and generated speech);
- ``lists/{account_id}/{list_id}/original`` (the file as the client sent it) and
  ``lists/{account_id}/{list_id}/recipients.jsonl`` (the parsed, normalised list campaigns use) in the
  lists bucket;
- ``blacklist-imports/{import_id}/original`` in the lists bucket: a telecom blacklist uploaded for import.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from typing import IO, TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from jarchi import clock
from jarchi.resources import EXPORTS_BUCKET, LISTS_BUCKET, MEDIA_BUCKET, RECORDINGS_BUCKET, BucketSpec
from jarchi.settings import get_settings

if TYPE_CHECKING:  # the audiences' port is imported where an upload is presigned: not by exports, recordings
    from mypy_boto3_s3.client import S3Client

    from jarchi.audiences.ports import PresignedUpload
    from jarchi.reports.files import FileFormat

UPLOAD_URL_SECONDS = 15 * 60
STREAM_CHUNK_BYTES = 1 << 20
_MISSING = {"404", "NoSuchKey", "NotFound"}


@cache
def _client(region: str) -> S3Client:
    client: S3Client = boto3.client("s3", region_name=region)
    return client


def _s3() -> S3Client:
    return _client(get_settings().region)


def _bucket(spec: BucketSpec) -> str:
    return get_settings().bucket_name(spec.logical)


def audio_key(account_id: str, audio_id: str, extension: str) -> str:
    return f"audio/{account_id}/{audio_id}.{extension}"


def list_original_key(account_id: str, list_id: str) -> str:
    return f"lists/{account_id}/{list_id}/original"


def list_recipients_key(account_id: str, list_id: str) -> str:
    return f"lists/{account_id}/{list_id}/recipients.jsonl"


def _put(spec: BucketSpec, key: str, data: bytes, content_type: str) -> None:
    _s3().put_object(Bucket=_bucket(spec), Key=key, Body=data, ContentType=content_type)


def _get(spec: BucketSpec, key: str) -> bytes | None:
    try:
        response: Any = _s3().get_object(Bucket=_bucket(spec), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING:
            return None
        raise
    body: bytes = response["Body"].read()
    return body


def _size(spec: BucketSpec, key: str) -> int | None:
    try:
        head = _s3().head_object(Bucket=_bucket(spec), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING:
            return None
        raise
    return int(head["ContentLength"])


class S3MediaStore:
    """The media store on the media bucket (audio files)."""

    def audio_key(self, account_id: str, audio_id: str, extension: str) -> str:
        return audio_key(account_id, audio_id, extension)

    def put_audio(self, key: str, data: bytes, content_type: str) -> None:
        _put(MEDIA_BUCKET, key, data, content_type)

    def get_audio(self, key: str) -> bytes | None:
        return _get(MEDIA_BUCKET, key)

    def delete_audio(self, key: str) -> None:
        _s3().delete_object(Bucket=_bucket(MEDIA_BUCKET), Key=key)

    def listen_url(self, key: str, seconds: int) -> str:
        return presigned_get(MEDIA_BUCKET, key, seconds)


class S3ListFiles:
    """The list files on the lists bucket (originals, parsed recipients, presigned uploads)."""

    def original_key(self, account_id: str, list_id: str) -> str:
        return list_original_key(account_id, list_id)

    def recipients_key(self, account_id: str, list_id: str) -> str:
        return list_recipients_key(account_id, list_id)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        put_list_object(key, data, content_type)

    def get(self, key: str) -> bytes | None:
        return get_list_object(key)

    def size(self, key: str) -> int | None:
        return _size(LISTS_BUCKET, key)

    def presign_upload(self, key: str) -> PresignedUpload:
        return presign_list_upload(key)

    def delete(self, key: str) -> None:
        _s3().delete_object(Bucket=_bucket(LISTS_BUCKET), Key=key)

    def stream(self, key: str, start: int = 0) -> Iterator[bytes]:
        """A ranged GET from `start`, read in `STREAM_CHUNK_BYTES` chunks as S3 sends them."""
        response: Any = _s3().get_object(Bucket=_bucket(LISTS_BUCKET), Key=key, Range=f"bytes={start}-")
        yield from response["Body"].iter_chunks(STREAM_CHUNK_BYTES)


# --- objects of the lists bucket (also the campaign audience's) ------------------------------------


def put_list_object(key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    _put(LISTS_BUCKET, key, data, content_type)


def get_list_object(key: str) -> bytes | None:
    return _get(LISTS_BUCKET, key)


def presign_list_upload(key: str, seconds: int = UPLOAD_URL_SECONDS) -> PresignedUpload:
    """A URL the client PUTs the file to (no content type is signed: any is accepted)."""
    from jarchi.audiences.ports import PresignedUpload

    url = _s3().generate_presigned_url(
        "put_object", Params={"Bucket": _bucket(LISTS_BUCKET), "Key": key}, ExpiresIn=seconds
    )
    return PresignedUpload(url=url, key=key, expires_at=clock.now() + timedelta(seconds=seconds))


class S3ExportFiles:
    """Finished exports in the exports bucket (`exports/{account_id}/{export_id}.{format}`)."""

    def key(self, account_id: str, export_id: str, file_format: FileFormat) -> str:
        return f"exports/{account_id}/{export_id}.{file_format.value}"

    def upload(self, key: str, source: IO[bytes], content_type: str, filename: str) -> None:
        extra = {"ContentType": content_type, "ContentDisposition": f'attachment; filename="{filename}"'}
        _s3().upload_fileobj(source, _bucket(EXPORTS_BUCKET), key, ExtraArgs=extra)  # multipart, streamed

    def download_url(self, key: str, seconds: int) -> str:
        return presigned_get(EXPORTS_BUCKET, key, seconds)


class S3Recordings:
    """Call recordings on the recordings bucket (R-OUT-5; its lifecycle rule deletes them)."""

    def put(self, key: str, data: bytes) -> None:
        _put(RECORDINGS_BUCKET, key, data, "audio/wav")

    def url(self, key: str, seconds: int) -> str:
        return presigned_get(RECORDINGS_BUCKET, key, seconds)


def presigned_get(spec: BucketSpec, key: str, seconds: int) -> str:
    url: str = _s3().generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(spec), "Key": key}, ExpiresIn=seconds
    )
    return url
