"""Oracle channels SQL, checked without a server (none can run here): it parses as Oracle SQL.

What is NOT tested: executing these statements on a real Oracle database.
"""

import re

import pytest
import sqlglot
from sqlspec.adapters.oracledb import OracleSyncConfig

from litestar_sqlspec.channel_dialects import channel_statements_for
from litestar_sqlspec.dialects import compile_statement

EXECUTE_IMMEDIATE = re.compile(r"EXECUTE IMMEDIATE '(.*?)'; EXCEPTION")
SQL = channel_statements_for(OracleSyncConfig(connection_config={"dsn": "127.0.0.1:1/FREEPDB1"}), "litestar_channels")
DDL = [match for block in (*SQL.create_table, *SQL.drop_table) for match in EXECUTE_IMMEDIATE.findall(block)]


@pytest.mark.parametrize("statement", [*SQL.publish[1:], SQL.poll, SQL.history, SQL.max_id, SQL.prune, *DDL])
def test_every_oracle_channels_statement_parses_as_oracle_sql(statement: str) -> None:
    parsed = sqlglot.parse_one(statement, read="oracle")
    assert parsed is not None
    assert "LIMIT" not in statement  # Oracle limits rows with FETCH FIRST


def test_oracle_publishers_are_serialized_by_a_table_lock_in_their_transaction() -> None:
    # sqlglot does not parse LOCK TABLE; Oracle's syntax: LOCK TABLE name IN lockmode MODE [NOWAIT | WAIT n]
    assert len(DDL) == 3  # table, index, drop
    lock, insert = SQL.publish
    assert re.fullmatch(r"LOCK TABLE litestar_channels IN EXCLUSIVE MODE", lock)
    assert insert.startswith("INSERT INTO litestar_channels")
    assert SQL.keys_as == "json"
    assert SQL.wake == "poll"
    compiled = compile_statement(SQL.poll, "named_colon")
    assert compiled.names == ("keys", "after", "limit")
