"""Oracle store SQL, checked without a server (none can run here): it parses as Oracle SQL and is wired to configs.

What is NOT tested: executing these statements on a real Oracle database.
"""

import re
from typing import Any

import pytest
import sqlglot
from sqlspec.adapters.oracledb import OracleAsyncConfig, OracleSyncConfig
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecStore
from litestar_sqlspec._compat_sync import read_bytes_sync
from litestar_sqlspec.dialects import compile_statement, store_statements_for

EXECUTE_IMMEDIATE = re.compile(r"EXECUTE IMMEDIATE '(.*?)'; EXCEPTION")


def oracle_config(config_type: Any = OracleSyncConfig, **litestar: Any) -> Any:
    return config_type(
        connection_config={"dsn": "127.0.0.1:1/FREEPDB1", "user": "app", "password": "secret"},
        extension_config={"litestar": litestar},
    )


def statements(in_memory: bool = False) -> list[str]:
    sql = store_statements_for(oracle_config(in_memory=in_memory), "litestar_session")
    plain = [
        sql.table_exists,
        sql.upsert,
        sql.select_value,
        *sql.get_and_renew,
        sql.select_expiry,
        sql.delete,
        sql.delete_namespace,
        sql.delete_expired,
    ]
    ddl = [match for block in (*sql.create_table, sql.drop_table) for match in EXECUTE_IMMEDIATE.findall(block)]
    assert len(ddl) == 3  # table, index, drop
    return plain + ddl


@pytest.mark.parametrize("statement", statements() + statements(in_memory=True)[-3:-2])
def test_every_oracle_statement_parses_as_oracle_sql(statement: str) -> None:
    if "INMEMORY" in statement:
        statement = statement.replace(" INMEMORY PRIORITY HIGH", "")  # sqlglot does not know the clause
        assert statement.endswith("PRIMARY KEY (ns, store_key))")
    parsed = sqlglot.parse_one(statement, read="oracle")
    assert parsed is not None
    assert sqlglot.transpile(statement, read="oracle", write="oracle")


def test_oracle_specifics() -> None:
    sql = store_statements_for(oracle_config(), "litestar_session")
    assert sql.facts.name == "oracle"
    assert sql.upsert.startswith("MERGE INTO litestar_session")
    assert "store_value BLOB," in sql.create_table[0]  # nullable: Oracle stores an empty BLOB as NULL
    assert "SQLCODE != -955" in sql.create_table[0]
    assert "SQLCODE != -942" in sql.drop_table
    assert sql.facts.large_value_bytes == 32_000
    assert "INMEMORY PRIORITY HIGH" in store_statements_for(oracle_config(in_memory=True), "t").create_table[0]
    assert read_bytes_sync(None) == b""  # how an empty value comes back from Oracle


def test_each_statement_gets_only_the_parameters_it_uses() -> None:
    renew, select = store_statements_for(oracle_config(), "t").get_and_renew
    parameters = {"ns": "n", "key": b"k", "now": 1.0, "expires_at": 2.0}
    assert compile_statement(renew, "named_colon").bind(parameters) == parameters
    assert compile_statement(select, "named_colon").bind(parameters) == {"ns": "n", "key": b"k", "now": 1.0}


@pytest.mark.parametrize(
    ("style", "text", "bound"),
    [
        ("qmark", "SELECT ? WHERE a = ? AND b = ?", [1, 2, 1]),
        ("pyformat_positional", "SELECT %s WHERE a = %s AND b = %s AND c LIKE '%%'", [1, 2, 1]),
        ("pyformat_named", "SELECT %(x)s WHERE a = %(y)s AND b = %(x)s AND c LIKE '%%'", {"x": 1, "y": 2}),
        ("numeric", "SELECT $1 WHERE a = $2 AND b = $1", [1, 2]),
    ],
)
def test_placeholders_are_rewritten_for_each_driver_style(style: str, text: str, bound: Any) -> None:
    statement = "SELECT :x WHERE a = :y AND b = :x" + (" AND c LIKE '%'" if style.startswith("pyformat") else "")
    compiled = compile_statement(statement, style)
    assert compiled.text == text
    assert compiled.bind({"x": 1, "y": 2, "unused": 3}) == bound


@pytest.mark.parametrize("config_type", [OracleSyncConfig, OracleAsyncConfig])
def test_oracle_configs_get_a_store(config_type: Any) -> None:
    store = SQLSpecStore(oracle_config(config_type, session_table="app_sessions", in_memory=True), namespace="app")
    assert store.table_name == "app_sessions"
    assert store.with_namespace("cache").namespace == "app/cache"
    with pytest.raises(ImproperConfigurationError, match="longer than oracle's 128 chars"):
        SQLSpecStore(oracle_config(config_type), table_name="t" * 129)
