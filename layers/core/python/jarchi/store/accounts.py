"""Accounts and API-token hashes: the `accounts` table, behind `jarchi.accounts.ports.AccountRepository`."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from jarchi.accounts.models import Account, AccountChanges, AccountStatus, AccountType, Token, TokenRevocation
from jarchi.errors import Conflict
from jarchi.store.base import ReadModel, decode_cursor, encode_cursor, table_meta, updated_if
from jarchi.store.tables import ACCOUNTS
from jarchi.store.transactions import LabelledTransaction, TransactionFailed

PROFILE = "PROFILE"
TOKEN_PREFIX = "TOKEN#"
_REVOCATION_TRIES = 5
_KNOWN_TOKEN_KEYS = 10_000  # token hashes whose item key this process remembers


def _account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


class _ByParent(GlobalSecondaryIndex["AccountItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_parent"
        projection = AllProjection()

    parent_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class _ByTokenHash(GlobalSecondaryIndex["TokenItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_token_hash"
        projection = AllProjection()

    token_hash = UnicodeAttribute(hash_key=True)


class AccountItem(ReadModel):
    Meta = table_meta(ACCOUNTS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    ancestors: ListAttribute[str] = ListAttribute(default=list)  # a list of strings
    timezone = UnicodeAttribute()
    default_region = UnicodeAttribute()
    created_at = UnicodeAttribute()
    allow_24h = BooleanAttribute(default=False)
    flagged = BooleanAttribute(default=False)
    recipient_limit = NumberAttribute()
    status = UnicodeAttribute(default=AccountStatus.ACTIVE.value)
    voice_pulse_price = NumberAttribute(null=True)
    sms_segment_price = NumberAttribute(null=True)
    allowed_countries: ListAttribute[str] = ListAttribute(null=True)  # absent: the default region only
    callback_number = UnicodeAttribute(null=True)  # a callback bridge's destination (R-OUT-4); absent or "": none
    # Bumped by every revocation that must keep one token: the condition that serialises them (absent: 0).
    token_revision = NumberAttribute(null=True)
    by_parent = _ByParent()


class TokenItem(ReadModel):
    Meta = table_meta(ACCOUNTS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    prefix = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute(null=True)
    # The API Gateway key that throttles this token in the cloud (jarchi.gateway), once registered.
    usage_key_id = UnicodeAttribute(null=True)
    by_token_hash = _ByTokenHash()


def _to_account(item: AccountItem) -> Account:
    return Account(
        id=item.id,
        name=item.name,
        type=AccountType(item.type),
        parent_id=item.parent_id,
        ancestors=tuple(item.ancestors or ()),
        timezone=item.timezone,
        default_region=item.default_region,
        created_at=datetime.fromisoformat(item.created_at),
        allow_24h=bool(item.allow_24h),
        flagged=bool(item.flagged),
        recipient_limit=int(item.recipient_limit),
        status=AccountStatus(item.status or AccountStatus.ACTIVE.value),
        voice_pulse_price=None if item.voice_pulse_price is None else int(item.voice_pulse_price),
        sms_segment_price=None if item.sms_segment_price is None else int(item.sms_segment_price),
        allowed_countries=tuple(item.allowed_countries or ()),
        callback_number=item.callback_number or "",
    )


def _to_token(item: TokenItem) -> Token:
    return Token(
        id=item.id,
        account_id=item.account_id,
        name=item.name,
        prefix=item.prefix,
        created_at=datetime.fromisoformat(item.created_at),
        last_used_at=datetime.fromisoformat(item.last_used_at) if item.last_used_at else None,
    )


def _account_item(account: Account) -> AccountItem:
    return AccountItem(
        _account_pk(account.id),
        PROFILE,
        id=account.id,
        name=account.name,
        type=account.type.value,
        parent_id=account.parent_id,
        ancestors=list(account.ancestors),
        timezone=account.timezone,
        default_region=account.default_region,
        created_at=account.created_at.isoformat(),
        allow_24h=account.allow_24h,
        flagged=account.flagged,
        recipient_limit=account.recipient_limit,
        status=account.status.value,
        voice_pulse_price=account.voice_pulse_price,
        sms_segment_price=account.sms_segment_price,
        allowed_countries=list(account.allowed_countries) or None,
        callback_number=account.callback_number or None,
    )


@dataclass(frozen=True)
class TokenState:
    """An account's tokens as one consistent read saw them, and the revision they were read at."""

    account_id: str
    revision: int
    token_ids: frozenset[str]


class DynamoAccounts:
    """The account repository on the `accounts` table (profiles and token hashes)."""

    # token hash → its item's key. A token's key never changes, so this process asks the index once per token;
    # every request still reads the item itself, consistently (a revocation is seen at once).
    _token_keys: ClassVar[dict[str, tuple[str, str]]] = {}
    _token_keys_lock: ClassVar[threading.Lock] = threading.Lock()

    def get(self, account_id: str) -> Account | None:
        try:
            return _to_account(AccountItem.get(_account_pk(account_id), PROFILE, consistent_read=True))
        except AccountItem.DoesNotExist:
            return None

    def create(self, account: Account) -> None:
        _account_item(account).save(condition=AccountItem.pk.does_not_exist())

    def update(self, account_id: str, changes: AccountChanges) -> Account | None:
        item = AccountItem(_account_pk(account_id), PROFILE)
        actions = [
            getattr(AccountItem, name).set(list(value) if isinstance(value, tuple) else value)
            for name, value in changes.given().items()
        ]
        if not actions:
            return self.get(account_id)
        if not updated_if(lambda: item.update(actions=actions, condition=AccountItem.pk.exists())):
            return None
        return _to_account(item)

    def list_children(self, parent_id: str, limit: int, cursor: str | None) -> tuple[list[Account], str | None]:
        start = decode_cursor(cursor)
        if start is not None and start.get("parent_id", {}).get("S") != parent_id:
            start = None
        result = AccountItem.by_parent.query(parent_id, limit=limit, last_evaluated_key=start, scan_index_forward=False)
        items = [_to_account(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key)

    def list_all(self, limit: int, cursor: str | None) -> tuple[list[Account], str | None]:
        result = AccountItem.scan(AccountItem.sk == PROFILE, limit=limit, last_evaluated_key=decode_cursor(cursor))
        items = [_to_account(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key)

    def put_token(self, token: Token, token_hash: str) -> None:
        TokenItem(
            _account_pk(token.account_id),
            f"{TOKEN_PREFIX}{token.id}",
            id=token.id,
            account_id=token.account_id,
            name=token.name,
            prefix=token.prefix,
            token_hash=token_hash,
            created_at=token.created_at.isoformat(),
        ).save(condition=TokenItem.pk.does_not_exist())

    def find_token(self, token_hash: str) -> Token | None:
        found = self.find_token_and_usage_key(token_hash)
        return found[0] if found else None

    def find_token_and_usage_key(self, token_hash: str) -> tuple[Token, str | None] | None:
        """The token with this hash and its API Gateway key id (None: not registered yet); confirmed by a
        consistent read (the index lags a revocation)."""
        key = self._token_key(token_hash)
        if key is None:
            return None
        try:
            item = TokenItem.get(*key, consistent_read=True)
        except TokenItem.DoesNotExist:
            return None
        return (_to_token(item), item.usage_key_id) if item.token_hash == token_hash else None

    def find_token_with_account(self, token_hash: str) -> tuple[Token, Account | None] | None:
        """The token and its account's profile in one consistent BatchGetItem: the API authenticates every
        request with this, one store request instead of two (both items live in the account's partition)."""
        key = self._token_key(token_hash)
        if key is None:
            return None
        pk, sk = key
        keys = [{"pk": {"S": pk}, "sk": {"S": sk}}, {"pk": {"S": pk}, "sk": {"S": PROFILE}}]
        # pynamodb types the keys as strings; it takes (and its own batch_get sends) attribute-value maps
        data = TokenItem._get_connection().batch_get_item(keys, consistent_read=True)  # type: ignore[arg-type]
        if data.get("UnprocessedKeys"):  # throttled (never locally): the same two reads, one by one
            token = self.find_token(token_hash)
            return None if token is None else (token, self.get(token.account_id))
        found = {raw["sk"]["S"]: raw for raw in data.get("Responses", {}).get(TokenItem.Meta.table_name, [])}
        if sk not in found:
            return None
        item = TokenItem.from_raw_data(found[sk])
        if item.token_hash != token_hash:
            return None
        profile = found.get(PROFILE)
        return _to_token(item), None if profile is None else _to_account(AccountItem.from_raw_data(profile))

    def _token_key(self, token_hash: str) -> tuple[str, str] | None:
        """The key of the token item with this hash, as the index last showed it (None: no such token)."""
        key = self._token_keys.get(token_hash)
        if key is None:
            indexed = next(iter(TokenItem.by_token_hash.query(token_hash, limit=1)), None)
            if indexed is None:
                return None
            key = (indexed.pk, indexed.sk)
            with self._token_keys_lock:
                if len(self._token_keys) >= _KNOWN_TOKEN_KEYS:
                    self._token_keys.clear()
                self._token_keys[token_hash] = key
        return key

    def set_usage_key(self, token: Token, key_id: str) -> bool:
        """Record the token's API Gateway key; False when the token was revoked meanwhile."""
        item = TokenItem(_account_pk(token.account_id), f"{TOKEN_PREFIX}{token.id}")
        return updated_if(
            lambda: item.update(actions=[TokenItem.usage_key_id.set(key_id)], condition=TokenItem.pk.exists())
        )

    def token_exists(self, account_id: str, token_id: str) -> bool:
        try:
            TokenItem.get(_account_pk(account_id), f"{TOKEN_PREFIX}{token_id}", consistent_read=True)
        except TokenItem.DoesNotExist:
            return False
        return True

    def touch_token(self, token: Token, at: datetime) -> None:
        TokenItem(_account_pk(token.account_id), f"{TOKEN_PREFIX}{token.id}").update(
            actions=[TokenItem.last_used_at.set(at.isoformat())], condition=TokenItem.pk.exists()
        )

    def list_tokens(self, account_id: str) -> list[Token]:
        query = TokenItem.query(_account_pk(account_id), TokenItem.sk.startswith(TOKEN_PREFIX))
        return [_to_token(item) for item in query]

    def delete_token(self, account_id: str, token_id: str, *, keep_one: bool = False) -> TokenRevocation:
        if not keep_one:
            return self._delete_token(account_id, token_id)
        for _ in range(_REVOCATION_TRIES):
            outcome = self.revoke_at(self.token_state(account_id), token_id)
            if outcome is not None:
                return outcome
        raise Conflict("token_revocation_contended", "the account's tokens are changing; try again")

    def token_state(self, account_id: str) -> TokenState:
        """The revision first, then the tokens: a revocation after the first read makes the write refused."""
        try:
            profile = AccountItem.get(
                _account_pk(account_id), PROFILE, consistent_read=True, attributes_to_get=["token_revision"]
            )
            revision = int(profile.token_revision or 0)
        except AccountItem.DoesNotExist:
            revision = 0
        query = TokenItem.query(
            _account_pk(account_id),
            TokenItem.sk.startswith(TOKEN_PREFIX),
            consistent_read=True,
            attributes_to_get=["sk"],
        )
        return TokenState(account_id, revision, frozenset(item.sk.removeprefix(TOKEN_PREFIX) for item in query))

    def revoke_at(self, state: TokenState, token_id: str) -> TokenRevocation | None:
        """Revoke `token_id` unless it is the last of `state`, if the account's tokens are still as `state`
        saw them; None when a revocation came in between (read again and retry)."""
        if token_id not in state.token_ids:
            return TokenRevocation.NOT_FOUND
        if len(state.token_ids) == 1:
            return TokenRevocation.LAST_TOKEN
        unchanged = (
            AccountItem.token_revision == state.revision
            if state.revision
            else AccountItem.token_revision.does_not_exist()
        )
        tx = LabelledTransaction()
        tx.delete("token", TokenItem(_account_pk(state.account_id), f"{TOKEN_PREFIX}{token_id}"), TokenItem.pk.exists())
        tx.update(
            "revision",
            AccountItem(_account_pk(state.account_id), PROFILE),
            [AccountItem.token_revision.set(state.revision + 1)],
            AccountItem.pk.exists() & unchanged,
        )
        try:
            tx.commit()
        except TransactionFailed as failed:
            if "token" in failed.failed:
                return TokenRevocation.NOT_FOUND
            return None
        return TokenRevocation.REVOKED

    def _delete_token(self, account_id: str, token_id: str) -> TokenRevocation:
        try:
            TokenItem(_account_pk(account_id), f"{TOKEN_PREFIX}{token_id}").delete(condition=TokenItem.pk.exists())
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return TokenRevocation.NOT_FOUND
            raise
        return TokenRevocation.REVOKED
