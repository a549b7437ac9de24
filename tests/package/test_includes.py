"""The include closure: a kernel's sources and exactly the headers they include, found as
the compiler finds them."""

import pytest

from mcunet_core.errors import UserError
from mcunet_core.package.includes import include_closure, quoted_includes
from mcunet_core.paths import KERNEL_DIR


def test_quoted_includes_only():
    text = '#include <stdint.h>\n  #  include "a.h"\n#include "../b/c.h" /* why */\n// #include x\n'
    assert quoted_includes(text) == ["a.h", "../b/c.h"]


def test_a_header_beside_the_file_wins_then_the_include_folders_then_relative_paths(tmp_path):
    (tmp_path / "include").mkdir()
    (tmp_path / "fam").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "fam" / "k.c").write_text('#include "local.h"\n#include "api.h"\n#include "../other/o.h"\n')
    (tmp_path / "fam" / "local.h").write_text("")
    (tmp_path / "include" / "api.h").write_text('#include "base.h"\n')
    (tmp_path / "include" / "base.h").write_text("")
    (tmp_path / "include" / "unused.h").write_text("")
    (tmp_path / "other" / "o.h").write_text("")
    assert include_closure(["fam/k.c"], tmp_path) == ["fam/k.c", "fam/local.h", "include/api.h",
                                                      "include/base.h", "other/o.h"]


def test_a_missing_header_names_the_file(tmp_path):
    (tmp_path / "k.c").write_text('#include "nowhere.h"\n')
    with pytest.raises(UserError, match=r'k.c: #include "nowhere.h" is neither beside it nor in'):
        include_closure(["k.c"], tmp_path)


def test_the_im2col_kernel_pulls_the_pointwise_core_headers():
    files = include_closure(["conv/mcunet_conv_s8_im2col_oc2px2_w8.c"], KERNEL_DIR)
    assert "conv/mcunet_im2col_driver.h" in files and "pointwise/mcunet_pw_impl.h" in files
    assert "include/mcunet_pointwise.h" in files and "include/mcunet_kernels.h" not in files
    assert not [f for f in files if f.endswith(".c") and f != "conv/mcunet_conv_s8_im2col_oc2px2_w8.c"]
