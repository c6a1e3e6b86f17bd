"""Placeholder replaced below."""


def forget_indexes() -> None:
    pass
