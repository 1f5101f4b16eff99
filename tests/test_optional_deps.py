"""Tests of an optional extra skip where it is not installed, and fail in CI (CI=true), which installs every
extra: a broken or missing Ray there must not hide the Ray tests behind a skip."""

import pytest
from optional_deps import import_optional, in_ci


def test_missing_module_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert not in_ci()
    with pytest.raises(pytest.skip.Exception, match=r"pip install 'gtdata\[extra_x\]'"):
        import_optional("gtdata_not_a_module", extra="extra_x")


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_missing_module_fails_in_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    assert in_ci()
    with pytest.raises(ModuleNotFoundError, match="gtdata_not_a_module"):
        import_optional("gtdata_not_a_module", extra="extra_x")


def test_installed_module_is_returned(monkeypatch):
    for value in ("true", ""):
        monkeypatch.setenv("CI", value)
        assert import_optional("json", extra="none").dumps([1]) == "[1]"
