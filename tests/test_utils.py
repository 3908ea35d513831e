import functools
import threading

import pytest

from erlen.utils import cached_property
from erlen.utils import import_string
from erlen.utils import secure_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My cool movie.mov", "My_cool_movie.mov"),
        ("../../../etc/passwd", "etc_passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "windows_system32_cmd.exe"),
        ("i contain cool \xfcml\xe4uts.txt", "i_contain_cool_umlauts.txt"),
        ("résumé.pdf", "resume.pdf"),
        ("..", ""),
        ("../..", ""),
        ("...", ""),
        (".bashrc", "bashrc"),
        ("__init__.py", "init__.py"),
        ("东京.txt", "txt"),
        ("a\x00b.txt", "ab.txt"),
        ("con", "_con"),
        ("NUL.txt", "_NUL.txt"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("lpt9", "_lpt9"),
        ("console.txt", "console.txt"),
        ("foo;rm -rf $HOME", "foorm_-rf_HOME"),
    ],
)
def test_secure_filename(name, expected):
    assert secure_filename(name) == expected


def test_secure_filename_output_is_always_safe():
    for name in [
        "a/b",
        "a\\b",
        "/",
        "\\",
        ".",
        " ",
        "\t.\t",
        "C:\\x",
        "\u202ereversed",
    ]:
        result = secure_filename(name)
        assert "/" not in result and "\\" not in result
        assert not result.startswith(".")
        assert result.isascii()
        assert result not in {".", ".."}


def test_secure_filename_caps_length_and_keeps_extension():
    result = secure_filename("a" * 1000 + ".jpeg")
    assert len(result) == 255
    assert result.endswith(".jpeg")
    assert len(secure_filename("b" * 1000)) == 255


def test_cached_property_computes_once_per_instance():
    calls = []

    class Thing:
        @cached_property
        def value(self) -> int:
            """The doc."""
            calls.append(1)
            return 42

    a, b = Thing(), Thing()
    assert a.value == 42
    assert a.value == 42
    assert b.value == 42
    assert len(calls) == 2
    assert a.__dict__["value"] == 42
    assert Thing.value.__doc__ == "The doc."
    assert isinstance(Thing.value, cached_property)
    a.value = 7
    assert a.value == 7
    del a.value
    assert a.value == 42
    assert len(calls) == 3


def test_cached_property_is_lock_free():
    # functools.cached_property on 3.11 takes a per-class RLock; ours takes none.
    class Thing:
        @cached_property
        def value(self) -> int:
            return threading.active_count()

    assert not any(
        isinstance(v, type(threading.RLock())) for v in vars(Thing.value).values()
    )
    assert not isinstance(Thing.value, functools.cached_property)


def test_cached_property_needs_a_dict():
    class Slotted:
        __slots__ = ()

        @cached_property
        def value(self) -> int:
            return 1

    with pytest.raises(TypeError, match="__dict__"):
        _ = Slotted().value


def test_import_string():
    import os.path

    assert import_string("os.path") is os.path
    assert import_string("os.path:join") is os.path.join
    assert import_string("os.path.join") is os.path.join
    assert import_string("erlen.utils:secure_filename") is secure_filename
    from collections.abc import Mapping

    assert import_string("collections.abc.Mapping.get") is Mapping.get
    with pytest.raises(ImportError):
        import_string("no_such_module_xyz")
    with pytest.raises(ImportError):
        import_string("os.path:no_such_name")
    with pytest.raises(ImportError):
        import_string("os.no_such_name")
    assert import_string("no_such_module_xyz.thing", silent=True) is None


def test_import_string_does_not_hide_a_broken_module(tmp_path, monkeypatch):
    (tmp_path / "broken_mod_for_erlen.py").write_text("import missing_dep_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="missing_dep_xyz"):
        import_string("broken_mod_for_erlen.thing")
