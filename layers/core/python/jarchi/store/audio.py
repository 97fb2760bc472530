"""Audio messages: the `audio` table (the file itself is in the media bucket, see `jarchi.aws.media`), behind
`jarchi.content.ports.AudioRepository`.

`used_by_campaigns` counts the campaigns that use an audio; it only grows (`mark_audio_used`), and an audio
with a count above zero cannot be deleted (kept for the record, R-AUD-3)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from jarchi.content.audio import AudioFormat
from jarchi.content.moderation import ModerationStatus
from jarchi.content.ports import DeleteOutcome
from jarchi.content.records import AudioRecord, AudioSource
from jarchi.errors import NotFound
from jarchi.store.base import decode_cursor, encode_cursor, table_meta, updated_if
from jarchi.store.tables import AUDIO

_CONDITION_FAILED = "ConditionalCheckFailedException"


class _ByAccount(GlobalSecondaryIndex["AudioItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class AudioItem(Model):
    Meta = table_meta(AUDIO)
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    title = UnicodeAttribute()
    source = UnicodeAttribute()
    format = UnicodeAttribute()
    duration_ms = NumberAttribute()
    pulses = NumberAttribute()
    size_bytes = NumberAttribute()
    s3_key = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    moderated_at = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    tts_text = UnicodeAttribute(null=True)
    used_by_campaigns = NumberAttribute(default=0)
    by_account = _ByAccount()


def _to_record(item: AudioItem) -> AudioRecord:
    return AudioRecord(
        id=item.id,
        account_id=item.account_id,
        title=item.title,
        source=AudioSource(item.source),
        format=AudioFormat(item.format),
        duration_ms=int(item.duration_ms),
        pulses=int(item.pulses),
        size_bytes=int(item.size_bytes),
        key=item.s3_key,
        status=ModerationStatus(item.status),
        created_at=datetime.fromisoformat(item.created_at),
        reason=item.reason,
        moderated_at=datetime.fromisoformat(item.moderated_at) if item.moderated_at else None,
        language=item.language,
        tts_text=item.tts_text,
        used_by_campaigns=int(item.used_by_campaigns or 0),
    )


class DynamoAudio:
    """The audio repository on the `audio` table."""

    def put(self, record: AudioRecord) -> None:
        AudioItem(
            record.id,
            account_id=record.account_id,
            created_at=record.created_at.isoformat(),
            title=record.title,
            source=record.source.value,
            format=record.format.value,
            duration_ms=record.duration_ms,
            pulses=record.pulses,
            size_bytes=record.size_bytes,
            s3_key=record.key,
            status=record.status.value,
            reason=record.reason,
            moderated_at=record.moderated_at.isoformat() if record.moderated_at else None,
            language=record.language,
            tts_text=record.tts_text,
            used_by_campaigns=record.used_by_campaigns,
        ).save(condition=AudioItem.id.does_not_exist())

    def get(self, audio_id: str) -> AudioRecord | None:
        try:
            return _to_record(AudioItem.get(audio_id, consistent_read=True))
        except AudioItem.DoesNotExist:
            return None

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[AudioRecord], str | None]:
        """An account's audio, newest first."""
        start = decode_cursor(cursor)
        if start is not None and start.get("account_id", {}).get("S") != account_id:
            start = None
        result = AudioItem.by_account.query(account_id, limit=limit, last_evaluated_key=start, scan_index_forward=False)
        items = [_to_record(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key)

    def set_moderation(
        self, audio_id: str, expected: ModerationStatus, status: ModerationStatus, reason: str | None, at: datetime
    ) -> bool:
        """Move the status from `expected` to `status`; False when someone else decided first."""
        actions: list[Action] = [
            AudioItem.status.set(status.value),
            AudioItem.reason.set(reason) if reason else AudioItem.reason.remove(),
            AudioItem.moderated_at.set(at.isoformat()),
        ]
        return updated_if(
            lambda: AudioItem(audio_id).update(actions=actions, condition=AudioItem.status == expected.value)
        )

    def mark_used(self, audio_id: str) -> None:
        """Count one more campaign using this audio (it can no longer be deleted). 404 when it does not exist."""
        try:
            AudioItem(audio_id).update(
                actions=[AudioItem.used_by_campaigns.add(1)],
                condition=AudioItem.id.exists(),
            )
        except UpdateError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                raise NotFound.of("audio", audio_id) from error
            raise

    def delete_unused(self, audio_id: str) -> DeleteOutcome:
        unused = AudioItem.used_by_campaigns.does_not_exist() | (AudioItem.used_by_campaigns == 0)
        try:
            AudioItem(audio_id).delete(condition=AudioItem.id.exists() & unused)
        except DeleteError as error:
            if error.cause_response_code != _CONDITION_FAILED:
                raise
            return DeleteOutcome.IN_USE if self.get(audio_id) is not None else DeleteOutcome.MISSING
        return DeleteOutcome.DELETED
