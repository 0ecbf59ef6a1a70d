"""Filter dependencies built from query parameters: ``create_filter_dependencies(FilterConfig)``.

Each enabled filter becomes one Litestar dependency whose query parameters (camelCase, typed, bounded) appear in
OpenAPI; the aggregate ``filters`` dependency collects the active ones as a ``list`` to pass to a driver or service
(``await db_session.select(sql, *filters)``). Every provider gets its own Python parameter names, derived from its
dependency key, so sibling filters never receive each other's values, and the cache is keyed by the whole
configuration and the ``DependencyDefaults`` it was built with.
"""

import datetime as dt
import difflib
import inspect
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Literal, NamedTuple, NotRequired, TypedDict, cast
from uuid import UUID

from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter, SkipValidation
from sqlspec.core import (
    BeforeAfterFilter,
    BooleanFilter,
    ChoicesFilter,
    CursorFilter,
    CursorKey,
    CursorKeys,
    FilterTypes,
    InCollectionFilter,
    LimitOffsetFilter,
    NotInCollectionFilter,
    NotNullFilter,
    NullFilter,
    OrderByFilter,
    SearchFilter,
    normalize_cursor_keys,
)
from sqlspec.exceptions import ImproperConfigurationError, InvalidCursorError
from sqlspec.utils.text import camelize

from litestar_sqlspec.settings import QUALIFIED_NAME, is_identifier
from litestar_sqlspec.signatures import with_signature

__all__ = (
    "DEPENDENCY_DEFAULTS",
    "BooleanOrNone",
    "ChoiceField",
    "DTorNone",
    "DependencyCache",
    "DependencyDefaults",
    "FieldNameType",
    "FilterConfig",
    "HashableType",
    "HashableValue",
    "IntOrNone",
    "SortField",
    "SortOrder",
    "SortOrderOrNone",
    "StringOrNone",
    "UuidOrNone",
    "create_filter_dependencies",
    "dep_cache",
    "normalize_choice_field_types",
)

DTorNone = dt.datetime | None
StringOrNone = str | None
UuidOrNone = UUID | None
IntOrNone = int | None
BooleanOrNone = bool | None
SortOrder = Literal["asc", "desc"]
SortOrderOrNone = SortOrder | None
SortField = str | set[str] | list[str]
HashableValue = str | bytes | int | float | bool | None
HashableType = HashableValue | tuple[Any, ...]


class DependencyDefaults:
    """Dependency keys and page sizes of the generated filters; subclass to rename or resize them."""

    FILTERS_DEPENDENCY_KEY: str = "filters"
    CREATED_FILTER_DEPENDENCY_KEY: str = "created_filter"
    ID_FILTER_DEPENDENCY_KEY: str = "id_filter"
    LIMIT_OFFSET_FILTER_DEPENDENCY_KEY: str = "limit_offset_filter"
    UPDATED_FILTER_DEPENDENCY_KEY: str = "updated_filter"
    ORDER_BY_FILTER_DEPENDENCY_KEY: str = "order_by_filter"
    SEARCH_FILTER_DEPENDENCY_KEY: str = "search_filter"
    CURSOR_FILTER_DEPENDENCY_KEY: str = "cursor_filter"
    DEFAULT_PAGINATION_SIZE: int = 20
    DEFAULT_PAGINATION_MAX_SIZE: int = 1000

    def cache_key(self) -> tuple[tuple[str, Any], ...]:
        """Every setting of this instance (class attributes and overrides), as a hashable value."""
        names = sorted(name for name in dir(self) if name.isupper())
        return tuple((name, getattr(self, name)) for name in names)


DEPENDENCY_DEFAULTS = DependencyDefaults()


class FieldNameType(NamedTuple):
    """A filterable field and the type its query values are parsed as."""

    name: str
    type_hint: type[Any] = str


class ChoiceField:
    """A field filtered by a fixed set of values: a list/tuple of literals or an ``Enum`` class."""

    __slots__ = ("choices", "name")

    def __init__(self, name: str, choices: list[Any] | tuple[Any, ...] | type[Enum]) -> None:
        self.name = name
        self.choices = choices

    def _key(self) -> tuple[str, Hashable]:
        choices = self.choices
        return (self.name, choices if isinstance(choices, type) else tuple(choices))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoiceField) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"ChoiceField({self.name!r}, {self.choices!r})"


class FilterConfig(TypedDict):
    """Which filters ``create_filter_dependencies`` builds; every key is optional.

    Field names are SQL column names (an allow-list the client chooses from); query parameter names are camelCase.
    """

    id_filter: NotRequired[type[UUID | int | str]]
    """Type of the ids of the ``ids`` collection filter (``?ids=1&ids=2``)."""
    id_field: NotRequired[str]
    """Column of the ``ids`` filter. Default ``"id"``."""
    sort_field: NotRequired[SortField]
    """Column(s) ``orderBy`` may name; the first is the default."""
    sort_field_aliases: NotRequired[dict[str, str]]
    """Further ``orderBy`` values mapped to a ``sort_field`` column."""
    sort_field_camelize: NotRequired[bool]
    """Accept the camelCase form of each sort column (``createdAt`` for ``created_at``). Default ``True``."""
    sort_order: NotRequired[SortOrder]
    """Default ``sortOrder``. Default ``"desc"``."""
    pagination_type: NotRequired[Literal["limit_offset", "cursor"]]
    """``"limit_offset"`` (``currentPage``, ``pageSize``) or ``"cursor"`` (``cursor``, ``pageSize``)."""
    cursor_keys: NotRequired[CursorKeys]
    """Cursor pagination keys; the last must identify a row uniquely."""
    cursor_secret: NotRequired[str | bytes]
    """Sign cursors with HMAC-SHA256 under this secret (a tampered cursor is a 400)."""
    pagination_size: NotRequired[int]
    """Default page size. Default ``DependencyDefaults.DEFAULT_PAGINATION_SIZE`` (20)."""
    pagination_max_size: NotRequired[int]
    """Largest ``pageSize`` accepted. Default ``DependencyDefaults.DEFAULT_PAGINATION_MAX_SIZE`` (1000)."""
    search: NotRequired[str | set[str] | list[str]]
    """Column(s) ``searchString`` matches (a string may list several, comma-separated)."""
    search_ignore_case: NotRequired[bool]
    """Default of ``searchIgnoreCase``. Default ``False``."""
    created_at: NotRequired[bool]
    """``createdBefore`` / ``createdAfter`` on ``created_at``."""
    updated_at: NotRequired[bool]
    """``updatedBefore`` / ``updatedAfter`` on ``updated_at``."""
    not_in_fields: NotRequired[FieldNameType | set[FieldNameType] | list[str | FieldNameType]]
    """Fields with a ``<field>NotIn`` filter."""
    in_fields: NotRequired[FieldNameType | set[FieldNameType] | list[str | FieldNameType]]
    """Fields with a ``<field>In`` filter."""
    null_fields: NotRequired[str | set[str] | list[str]]
    """Fields with a ``<field>IsNull`` filter."""
    not_null_fields: NotRequired[str | set[str] | list[str]]
    """Fields with a ``<field>IsNotNull`` filter."""
    boolean_fields: NotRequired[str | set[str] | list[str]]
    """Fields with a ``<field>Boolean`` filter."""
    choice_fields: NotRequired[ChoiceField | set[ChoiceField] | list[str | ChoiceField]]
    """Fields with a ``<field>Choices`` filter limited to their choices."""


_CONFIG_KEYS = frozenset(FilterConfig.__annotations__)
_ANY_DEPENDENCY: Any = NamedDependency[SkipValidation[Any]]  # type: ignore[misc]


class DependencyCache:
    """The dependencies built so far, by configuration and defaults: equal inputs share one set."""

    def __init__(self) -> None:
        self.dependencies: dict[Hashable, dict[str, Provide]] = {}

    def add_dependencies(self, key: Hashable, dependencies: dict[str, Provide]) -> None:
        """Remember ``dependencies`` under ``key``."""
        self.dependencies[key] = dependencies

    def get_dependencies(self, key: Hashable) -> dict[str, Provide] | None:
        """The dependencies remembered under ``key``, if any."""
        return self.dependencies.get(key)


dep_cache = DependencyCache()


def create_filter_dependencies(
    config: FilterConfig, dep_defaults: DependencyDefaults = DEPENDENCY_DEFAULTS
) -> dict[str, Provide]:
    """Build the filter dependencies ``config`` enables, plus the aggregate ``filters`` list.

    Args:
        config: which filters to build and on which columns.
        dep_defaults: dependency keys and default page sizes.

    Returns:
        ``{dependency key: Provide}``, for a route's, controller's or app's ``dependencies``; empty when ``config``
        enables nothing.

    Raises:
        ImproperConfigurationError: naming the bad key or value, for an unknown key, a column that is not an
            identifier, an invalid page size, sort order, pagination type or alias, or cursor pagination without keys.
    """
    if not isinstance(cast("object", config), Mapping):
        msg = f"create_filter_dependencies: config must be a FilterConfig dict, got {type(config).__name__}"
        raise ImproperConfigurationError(msg)
    cache_key = (_hashable(config), dep_defaults.cache_key())
    cached = dep_cache.get_dependencies(cache_key)
    if cached is not None:
        return cached
    specs = _FilterPlan(config, dep_defaults).specs()
    dependencies = {spec.key: _provide(spec) for spec in specs}
    if dependencies:
        dependencies[_dependency_key(dep_defaults, "FILTERS_DEPENDENCY_KEY")] = _provide_aggregate(
            [spec.key for spec in specs]
        )
    dep_cache.add_dependencies(cache_key, dependencies)
    return dependencies


# One filter: its dependency key, the query parameters it reads and how it builds the sqlspec filter.


@dataclass(frozen=True)
class _Query:
    alias: str
    annotation: Any
    default: Any = None
    constraints: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _FilterSpec:
    key: str
    queries: tuple[_Query, ...]
    build: Callable[..., Any]
    returns: Any


def _provide(spec: _FilterSpec) -> Provide:
    # Python names are unique per dependency key: Litestar binds a route's query values by parameter name, so two
    # providers sharing a name (`values`, `before`, ...) would receive each other's values.
    names = [f"{spec.key}_{query.alias}" for query in spec.queries]
    parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=query.default,
            annotation=Annotated[
                query.annotation, QueryParameter(name=query.alias, required=False, **query.constraints)
            ],
        )
        for name, query in zip(names, spec.queries, strict=True)
    ]

    def provide(**values: Any) -> Any:
        return spec.build(*(values[name] for name in names))

    return Provide(with_signature(provide, f"provide_{spec.key}", parameters, spec.returns), sync_to_thread=False)


def _provide_aggregate(keys: list[str]) -> Provide:
    parameters = [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=_ANY_DEPENDENCY) for key in keys]

    def provide_filters(**values: Any) -> list[FilterTypes]:
        return [value for key in keys if _is_active(value := values[key])]

    return Provide(
        with_signature(provide_filters, "provide_filters", parameters, list[FilterTypes]), sync_to_thread=False
    )


def _is_active(value: Any) -> bool:
    """Whether a filter constrains anything (a search without a term, or a date range without bounds, does not)."""
    if value is None:
        return False
    if isinstance(value, SearchFilter):
        return value.value is not None
    if isinstance(value, BeforeAfterFilter):
        return value.before is not None or value.after is not None
    if isinstance(value, (InCollectionFilter, NotInCollectionFilter)):
        return value.values is not None
    return True


# Building the specs from a FilterConfig, validating every value on the way.


class _SortFields:
    """The ``orderBy`` allow-list: query value -> column, with the names shown in errors."""

    def __init__(self, columns: Sequence[str], aliases: Mapping[str, str], camel: bool) -> None:
        self.by_alias: dict[str, str] = {}
        shown = {column: column for column in columns}
        for column in columns:
            self._add(column, column)
            if camel:
                self._add(camelize(column), column)
                shown[column] = camelize(column)
        for alias, column in aliases.items():
            if column not in shown:
                msg = f"FilterConfig sort_field_aliases: {alias!r} targets {column!r}, not a sort_field {columns}"
                raise ImproperConfigurationError(msg)
            self._add(alias, column)
            shown[column] = alias
        self.default_query = shown[columns[0]]
        self.allowed = ", ".join(sorted(self.by_alias))

    def _add(self, alias: str, column: str) -> None:
        existing = self.by_alias.setdefault(alias, column)
        if existing != column:
            msg = f"FilterConfig sort_field: orderBy value {alias!r} is ambiguous: {existing!r} or {column!r}"
            raise ImproperConfigurationError(msg)

    def column(self, query_value: str | None) -> str:
        column = self.by_alias.get(query_value or self.default_query)
        if column is None:
            msg = f"Invalid orderBy field {query_value!r}. Allowed fields: {self.allowed}"
            raise ValidationException(detail=msg)
        return column


class _FilterPlan:
    def __init__(self, config: Mapping[str, Any], defaults: DependencyDefaults) -> None:
        for key in config:
            if key not in _CONFIG_KEYS:
                close = difflib.get_close_matches(str(key), sorted(_CONFIG_KEYS), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(sorted(_CONFIG_KEYS))}"
                msg = f"FilterConfig has unknown key {key!r}{hint}"
                raise ImproperConfigurationError(msg)
        self.config = config
        self.defaults = defaults

    def specs(self) -> list[_FilterSpec]:
        config = self.config
        specs: list[_FilterSpec] = []
        if config.get("id_filter"):
            specs.append(self._ids())
        for flag, key_name, column, prefix in (
            ("created_at", "CREATED_FILTER_DEPENDENCY_KEY", "created_at", "created"),
            ("updated_at", "UPDATED_FILTER_DEPENDENCY_KEY", "updated_at", "updated"),
        ):
            if self._bool(flag, default=False):
                specs.append(self._before_after(_dependency_key(self.defaults, key_name), column, prefix))
        pagination = config.get("pagination_type")
        if pagination not in (None, "limit_offset", "cursor"):
            msg = f"FilterConfig pagination_type {pagination!r} is invalid; allowed: 'limit_offset', 'cursor'"
            raise ImproperConfigurationError(msg)
        if pagination == "limit_offset":
            specs.append(self._limit_offset())
        if config.get("search"):
            specs.append(self._search())
        if config.get("sort_field") and pagination != "cursor":
            specs.append(self._order_by())
        specs.extend(self._collections("not_in_fields", negated=True))
        specs.extend(self._collections("in_fields", negated=False))
        specs.extend(self._nulls("null_fields", negated=False))
        specs.extend(self._nulls("not_null_fields", negated=True))
        specs.extend(self._booleans())
        specs.extend(self._choices())
        if pagination == "cursor":
            specs.append(self._cursor())
        _refuse_duplicates("dependency key", [spec.key for spec in specs])
        _refuse_duplicates("query parameter", [query.alias for spec in specs for query in spec.queries])
        return specs

    # value checks

    def _bool(self, name: str, *, default: bool) -> bool:
        value = self.config.get(name, default)
        if not isinstance(value, bool):
            msg = f"FilterConfig {name} must be True or False, got {value!r}"
            raise ImproperConfigurationError(msg)
        return value

    def _page_sizes(self) -> tuple[int, int]:
        size = self.config.get("pagination_size", self.defaults.DEFAULT_PAGINATION_SIZE)
        largest = self.config.get("pagination_max_size", self.defaults.DEFAULT_PAGINATION_MAX_SIZE)
        for name, value in (("pagination_size", size), ("pagination_max_size", largest)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                msg = f"FilterConfig {name} must be an integer of at least 1, got {value!r}"
                raise ImproperConfigurationError(msg)
        if size > largest:
            msg = f"FilterConfig pagination_size {size} exceeds pagination_max_size {largest}"
            raise ImproperConfigurationError(msg)
        return size, largest

    def _sort_order(self) -> SortOrder:
        order = self.config.get("sort_order", "desc")
        if order not in ("asc", "desc"):
            msg = f"FilterConfig sort_order {order!r} is invalid; allowed: 'asc', 'desc'"
            raise ImproperConfigurationError(msg)
        return cast("SortOrder", order)

    def _columns(self, name: str, value: Any, *, split_commas: bool = False) -> list[str]:
        if isinstance(value, str):
            raw: Iterable[Any] = value.split(",") if split_commas else [value]
        elif isinstance(value, set):
            raw = sorted(value, key=str)
        elif isinstance(value, (list, tuple)):
            raw = value
        else:
            msg = f"FilterConfig {name} must be a column name or a list of them, got {value!r}"
            raise ImproperConfigurationError(msg)
        columns = [column.strip() if isinstance(column, str) else column for column in raw]
        for column in columns:
            _check_column(name, column)
        if not columns:
            msg = f"FilterConfig {name} names no column"
            raise ImproperConfigurationError(msg)
        return list(dict.fromkeys(columns))

    # the filters

    def _ids(self) -> _FilterSpec:
        id_type = self.config["id_filter"]
        if not isinstance(id_type, type):
            msg = f"FilterConfig id_filter must be the ids' type (e.g. int, UUID, str), got {id_type!r}"
            raise ImproperConfigurationError(msg)
        column = self.config.get("id_field", "id")
        _check_column("id_field", column)
        return _FilterSpec(
            _dependency_key(self.defaults, "ID_FILTER_DEPENDENCY_KEY"),
            (_Query("ids", list[id_type] | None),),  # type: ignore[valid-type]
            lambda ids: InCollectionFilter(column, ids),
            InCollectionFilter[id_type],  # type: ignore[valid-type]
        )

    @staticmethod
    def _before_after(key: str, column: str, prefix: str) -> _FilterSpec:
        return _FilterSpec(
            key,
            (_Query(f"{prefix}Before", DTorNone), _Query(f"{prefix}After", DTorNone)),
            lambda before, after: BeforeAfterFilter(column, before, after),
            BeforeAfterFilter,
        )

    def _limit_offset(self) -> _FilterSpec:
        size, largest = self._page_sizes()
        return _FilterSpec(
            _dependency_key(self.defaults, "LIMIT_OFFSET_FILTER_DEPENDENCY_KEY"),
            (
                _Query("currentPage", int, 1, {"ge": 1, "title": "Page number, from 1"}),
                _Query("pageSize", int, size, {"ge": 1, "le": largest, "title": "Items per page"}),
            ),
            lambda page, page_size: LimitOffsetFilter(page_size, page_size * (page - 1)),
            LimitOffsetFilter,
        )

    def _search(self) -> _FilterSpec:
        columns: set[Any] = set(self._columns("search", self.config["search"], split_commas=True))
        ignore_case = self._bool("search_ignore_case", default=False)
        return _FilterSpec(
            _dependency_key(self.defaults, "SEARCH_FILTER_DEPENDENCY_KEY"),
            (
                _Query("searchString", StringOrNone, None, {"title": "Search term"}),
                _Query("searchIgnoreCase", BooleanOrNone, None, {"title": "Search case-insensitively"}),
            ),
            lambda term, ignore: SearchFilter(columns, term, ignore_case if ignore is None else ignore),
            SearchFilter,
        )

    def _sort_fields(self) -> _SortFields:
        aliases = self.config.get("sort_field_aliases") or {}
        if not isinstance(aliases, Mapping) or not all(
            isinstance(alias, str) and alias and isinstance(column, str) for alias, column in aliases.items()
        ):
            msg = f"FilterConfig sort_field_aliases must map non-empty query values to columns, got {aliases!r}"
            raise ImproperConfigurationError(msg)
        columns = self._columns("sort_field", self.config["sort_field"])
        return _SortFields(columns, aliases, self._bool("sort_field_camelize", default=True))

    def _order_queries(self, fields: _SortFields, order: SortOrder) -> tuple[_Query, _Query]:
        return (
            _Query("orderBy", StringOrNone, fields.default_query, {"title": "Order by field"}),
            _Query("sortOrder", SortOrderOrNone, order, {"title": "Sort order"}),
        )

    def _order_by(self) -> _FilterSpec:
        fields, order = self._sort_fields(), self._sort_order()
        return _FilterSpec(
            _dependency_key(self.defaults, "ORDER_BY_FILTER_DEPENDENCY_KEY"),
            self._order_queries(fields, order),
            lambda by, direction: OrderByFilter(fields.column(by), direction or order),
            OrderByFilter,
        )

    def _items(self, name: str, single: tuple[type, ...], what: str) -> list[Any]:
        """A setting that holds one item or a list (tuple, set) of them, as a list."""
        value = self.config.get(name)
        if not value:
            return []
        items = [value] if isinstance(value, single) else value
        if not isinstance(items, (list, tuple, set)):
            msg = f"FilterConfig {name} must be {what} or a list of them, got {value!r}"
            raise ImproperConfigurationError(msg)
        return list(items)

    def _fields(self, name: str) -> list[FieldNameType]:
        fields = [
            FieldNameType(item) if isinstance(item, str) else item
            for item in self._items(name, (str, FieldNameType), "a field")
        ]
        for item in fields:
            if not isinstance(item, FieldNameType) or not isinstance(item.type_hint, type):
                msg = f"FilterConfig {name}: {item!r} is neither a column name nor a FieldNameType(name, type)"
                raise ImproperConfigurationError(msg)
            _check_column(name, item.name)
        return sorted(set(fields), key=lambda item: item.name)

    def _column_names(self, name: str) -> list[str]:
        value = self.config.get(name)
        return self._columns(name, value) if value else []

    def _collections(self, name: str, *, negated: bool) -> list[_FilterSpec]:
        kind: Any = NotInCollectionFilter if negated else InCollectionFilter
        suffix = "not_in" if negated else "in"
        return [
            _per_column(
                item.name,
                suffix,
                annotation=list[item.type_hint] | None,  # type: ignore[name-defined]
                build=lambda values, column=item.name: kind(column, values) if values else None,
                returns=kind[item.type_hint] | None,
            )
            for item in self._fields(name)
        ]

    def _nulls(self, name: str, *, negated: bool) -> list[_FilterSpec]:
        kind: Any = NotNullFilter if negated else NullFilter
        suffix = "not_null" if negated else "null"
        return [
            _per_column(
                column,
                suffix,
                query=f"is_{suffix}",
                annotation=BooleanOrNone,
                build=lambda wanted, column=column: kind(column) if wanted else None,
                returns=kind | None,
            )
            for column in self._column_names(name)
        ]

    def _booleans(self) -> list[_FilterSpec]:
        return [
            _per_column(
                column,
                "boolean",
                annotation=BooleanOrNone,
                build=lambda wanted, column=column: None if wanted is None else BooleanFilter(column, wanted),
                returns=BooleanFilter | None,
            )
            for column in self._column_names("boolean_fields")
        ]

    def _choices(self) -> list[_FilterSpec]:
        choices = [
            ChoiceField(item, []) if isinstance(item, str) else item
            for item in self._items("choice_fields", (str, ChoiceField), "a ChoiceField")
        ]
        for choice in choices:
            if not isinstance(choice, ChoiceField):
                msg = f"FilterConfig choice_fields: {choice!r} is neither a column name nor a ChoiceField"
                raise ImproperConfigurationError(msg)
            _check_column("choice_fields", choice.name)
        return [
            _per_column(
                choice.name,
                "choices",
                annotation=list[_choice_type(choice)] | None,  # type: ignore[misc]
                build=lambda values, column=choice.name: ChoicesFilter(column, values) if values else None,
                returns=ChoicesFilter[Any] | None,
            )
            for choice in sorted(choices, key=lambda each: each.name)
        ]

    def _cursor(self) -> _FilterSpec:
        raw_keys = self.config.get("cursor_keys")
        if not raw_keys:
            msg = "FilterConfig pagination_type='cursor' needs cursor_keys (the last one unique per row)"
            raise ImproperConfigurationError(msg)
        try:
            keys = normalize_cursor_keys(raw_keys)
        except (TypeError, ValueError) as exc:
            msg = f"FilterConfig cursor_keys {raw_keys!r} are invalid: {exc}"
            raise ImproperConfigurationError(msg) from exc
        for key in keys:
            _check_column("cursor_keys", key.field_name)
        secret = self.config.get("cursor_secret")
        if secret is not None and (not isinstance(secret, (str, bytes)) or not secret):
            msg = "FilterConfig cursor_secret must be a non-empty str or bytes"
            raise ImproperConfigurationError(msg)
        size, largest = self._page_sizes()
        queries: tuple[_Query, ...] = (
            _Query("cursor", StringOrNone, None, {"title": "Cursor of the page"}),
            _Query("pageSize", int, size, {"ge": 1, "le": largest, "title": "Items per page"}),
        )
        fields = self._sort_fields() if self.config.get("sort_field") else None
        order = self._sort_order()
        if fields is not None:
            queries += self._order_queries(fields, order)

        def build(cursor: str | None, page_size: int, by: str | None = None, direction: Any = None) -> CursorFilter:
            ordered = keys if fields is None else _lead_with(keys, fields.column(by), direction or order)
            try:
                return CursorFilter(ordered, page_size, cursor, secret)
            except (InvalidCursorError, ValueError) as exc:
                raise ValidationException(detail="Invalid pagination cursor") from exc

        return _FilterSpec(_dependency_key(self.defaults, "CURSOR_FILTER_DEPENDENCY_KEY"), queries, build, CursorFilter)


def _per_column(
    column: str, suffix: str, *, annotation: Any, build: Callable[..., Any], returns: Any, query: str | None = None
) -> _FilterSpec:
    """A filter of one column from one query parameter.

    Its dependency key is ``<column>_<suffix>_filter``, its parameter ``<column>_<query or suffix>`` in camelCase.
    """
    part = _key_part(column)
    queries = (_Query(camelize(f"{part}_{query or suffix}"), annotation),)
    return _FilterSpec(f"{part}_{suffix}_filter", queries, build, returns)


def _lead_with(keys: tuple[CursorKey, ...], column: str, order: SortOrder) -> tuple[CursorKey, ...]:
    existing = next((key for key in keys if key.field_name == column), None)
    leading = CursorKey(
        column,
        order,
        nulls=existing.nulls if existing else None,
        result_name=existing.result_name if existing else None,
    )
    return (leading, *(key for key in keys if key.field_name != column))


def normalize_choice_field_types(choices: list[Any] | tuple[Any, ...] | type[Enum]) -> Any:
    """The type a choice field's query values are parsed as: the ``Enum`` itself, or a ``Literal`` of the choices.

    Raises:
        ImproperConfigurationError: for an empty list or anything but a list, tuple or ``Enum`` class.
    """
    given: Any = choices
    if isinstance(given, type) and issubclass(given, Enum):
        return given
    if not isinstance(given, (list, tuple)) or not given or not all(isinstance(each, Hashable) for each in given):
        msg = f"ChoiceField: choices must be a non-empty list/tuple of values or an Enum class, got {given!r}"
        raise ImproperConfigurationError(msg)
    return Literal.__getitem__(tuple(given))


def _choice_type(choice: ChoiceField) -> Any:
    try:
        return normalize_choice_field_types(choice.choices)
    except ImproperConfigurationError as exc:
        msg = f"ChoiceField {choice.name!r}: {exc}"
        raise ImproperConfigurationError(msg) from None


def _check_column(setting: str, column: Any) -> None:
    if not isinstance(column, str) or not QUALIFIED_NAME.fullmatch(column):
        msg = (
            f"FilterConfig {setting}: {column!r} is not a column name "
            "(letters, digits and underscores, optionally 'table.column')"
        )
        raise ImproperConfigurationError(msg)


def _refuse_duplicates(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            msg = f"FilterConfig makes the {what} {name!r} twice; rename one of the fields"
            raise ImproperConfigurationError(msg)
        seen.add(name)


def _key_part(column: str) -> str:
    return column.replace(".", "_")


def _dependency_key(defaults: DependencyDefaults, name: str) -> str:
    key = getattr(defaults, name)
    if not is_identifier(key):
        msg = f"DependencyDefaults.{name} must be a Python identifier, got {key!r}"
        raise ImproperConfigurationError(msg)
    return key


def _hashable(value: Any) -> Hashable:
    """A hashable image of a FilterConfig value; types stay themselves (two ``Status`` enums never collide)."""
    if isinstance(value, Mapping):
        return tuple(sorted(((str(key), _hashable(item)) for key, item in value.items()), key=lambda pair: pair[0]))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *(_hashable(item) for item in value))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(_hashable(item) for item in value))
    if isinstance(value, ChoiceField):
        choices = value.choices
        return ("ChoiceField", _hashable(value.name), choices if isinstance(choices, type) else _hashable(choices))
    try:
        hash(value)
    except TypeError:
        return ("repr", type(value), repr(value))
    return cast("Hashable", value)
