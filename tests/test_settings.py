"""extension_config["litestar"] is validated when the plugin is built, with errors that name the config and value."""

from typing import Any

import pytest
from litestar import Litestar
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.sqlite import SqliteConfig
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import CommitMode, SQLSpecPlugin
from litestar_sqlspec.settings import read_settings


def config(options: Any, bind_key: str | None = None) -> AiosqliteConfig:
    return AiosqliteConfig(
        connection_config={"database": "unused.db"}, extension_config={"litestar": options}, bind_key=bind_key
    )


def plugin_for(*configs: Any) -> SQLSpecPlugin:
    spec = SQLSpec()
    for each in configs:
        spec.add_config(each)
    return SQLSpecPlugin(spec)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"comit_mode": "autocommit"}, "unknown key 'comit_mode'; did you mean 'commit_mode'?"),
        ({"zzz": 1}, "unknown key 'zzz'; allowed: "),
        ({"commit_mode": "autocommitt"}, "commit_mode='autocommitt' is invalid; allowed: 'manual', 'autocommit'"),
        ({"commit_mode": True}, "commit_mode=True is invalid"),
        ({"extra_commit_statuses": [200, "201"]}, "extra_commit_statuses contains '201'"),
        ({"extra_commit_statuses": [99]}, "extra_commit_statuses contains 99"),
        ({"extra_rollback_statuses": 400}, "extra_rollback_statuses=400 must be an iterable"),
        ({"extra_rollback_statuses": "400"}, "extra_rollback_statuses='400' must be an iterable"),
        ({"extra_commit_statuses": {418, 409}, "extra_rollback_statuses": [409]}, "overlap on [409]"),
        ({"session_key": "db-session"}, "session_key='db-session' is not a valid Python identifier"),
        ({"connection_key": "class"}, "connection_key='class' is not a valid Python identifier"),
        ({"pool_key": 3}, "pool_key=3 is not a valid Python identifier"),
        ({"session_key": "db_connection"}, "uses one key twice"),
        ({"disable_di": "yes"}, "disable_di='yes' must be a bool"),
        (["commit_mode"], "must be a dict (LitestarConfig), got list"),
    ],
)
def test_bad_settings_are_rejected_at_construction(options: Any, message: str) -> None:
    with pytest.raises(ImproperConfigurationError) as error:
        plugin_for(config(options, bind_key="primary"))
    assert message in str(error.value)
    assert "AiosqliteConfig(bind_key='primary')" in str(error.value)


@pytest.mark.parametrize("key", ["connection_key", "pool_key", "session_key"])
def test_a_dependency_key_used_by_two_configs_is_rejected(key: str) -> None:
    first = config({}, bind_key="first")
    second_keys = {"connection_key": "c2", "pool_key": "p2", "session_key": "s2"}
    second_keys[key] = {"connection_key": "db_connection", "pool_key": "db_pool", "session_key": "db_session"}[key]
    with pytest.raises(ImproperConfigurationError, match=f"dependency key '{second_keys[key]}' is already used by"):
        plugin_for(first, config(second_keys, bind_key="second"))


def test_a_key_of_one_kind_may_not_reuse_another_configs_key_of_another_kind() -> None:
    first = config({}, bind_key="first")
    second = config({"connection_key": "db_session", "session_key": "s2", "pool_key": "p2"}, bind_key="second")
    with pytest.raises(ImproperConfigurationError, match="'db_session' is already used by AiosqliteConfig"):
        plugin_for(first, second)


def test_defaults_and_commit_rules() -> None:
    settings = read_settings(config({}))
    assert settings.dependency_keys == ("db_connection", "db_pool", "db_session")
    assert settings.commit_mode is CommitMode.manual
    assert settings.manage_lifespan is True
    assert not any(settings.commits(status) for status in (200, 201, 302, 400, 500))

    auto = read_settings(config({"commit_mode": CommitMode.autocommit, "extra_commit_statuses": [418]}))
    assert [status for status in (200, 204, 299, 300, 302, 400, 418, 500) if auto.commits(status)] == [
        200,
        204,
        299,
        418,
    ]
    redirect = read_settings(config({"commit_mode": "autocommit_include_redirect", "extra_rollback_statuses": [301]}))
    assert [status for status in (200, 301, 302, 399, 400) if redirect.commits(status)] == [200, 302, 399]
    assert read_settings(config({"disable_di": True})).manage_lifespan is False
    assert read_settings(config({"disable_di": True, "manage_lifespan": True})).manage_lifespan is True


def test_commit_mode_accepts_strings_and_members() -> None:
    assert CommitMode.autocommit == "autocommit"
    assert read_settings(config({"commit_mode": "autocommit"})).commit_mode is CommitMode.autocommit


def test_disabled_di_registers_nothing_and_frees_its_keys() -> None:
    plugin = plugin_for(config({"disable_di": True}, bind_key="a"), config({}, bind_key="b"))
    app = Litestar(plugins=[plugin])
    assert {"db_session", "db_connection", "db_pool"} <= set(app.dependencies)
    assert plugin.get_config("db_session") is plugin.config[1]  # the key belongs to the config that registered it
    assert plugin.get_config("a") is plugin.config[0]


def test_private_in_memory_sqlite_is_rejected_with_the_way_out() -> None:
    with pytest.raises(ImproperConfigurationError, match="private in-memory SQLite database") as error:
        plugin_for(SqliteConfig())
    assert "cache=shared" in str(error.value)


def test_an_app_dependency_with_a_plugin_key_is_not_overwritten() -> None:
    from litestar.di import Provide

    async def mine() -> int:
        return 1

    with pytest.raises(ImproperConfigurationError, match="already has a dependency named 'db_session'"):
        Litestar(plugins=[plugin_for(config({}))], dependencies={"db_session": Provide(mine)})
