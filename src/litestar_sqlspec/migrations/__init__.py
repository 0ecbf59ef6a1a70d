"""Extension migrations of ``litestar_sqlspec`` (``include_extensions=["litestar"]``), run by sqlspec's migrator."""

__all__ = ()
