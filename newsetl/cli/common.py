"""What every command shares: exit codes, the usage error, checks of arguments."""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_NOTHING = 3  # the run could do nothing: no start URL answered, or nothing was fetched


class UsageError(Exception):
    """The job cannot be done as asked; the message names the fix."""


def check_urls(raw: Sequence[str]) -> list[str]:
    from newsetl.urls import validate_start_url

    try:
        return [validate_start_url(u) for u in raw]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def check_data_dir(path: str) -> str:
    from newsetl.storage import DataDirError, Dataset

    ds = Dataset(path)
    try:
        ds.ensure_writable()
    except DataDirError as exc:
        raise UsageError(str(exc)) from exc
    return str(ds.root)


def check_patterns(patterns: list[str] | None, option: str) -> None:
    """Each pattern must be a regular expression (Python's ``re``): checked before the run."""
    import re

    for pattern in patterns or []:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(
                f"{option} {pattern!r} is not a regular expression ({exc}): escape special "
                "characters with a backslash, e.g. '\\(' for a parenthesis"
            ) from exc


def check_source(name: str | None) -> str | None:
    if name is None:
        return None
    from newsetl.storage import check_partition_value

    try:
        return check_partition_value(name)
    except ValueError as exc:
        raise UsageError(f"--source: {exc}") from exc
