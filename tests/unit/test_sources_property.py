"""Property: garbage files never crash a loader, and nothing that breaks a declaration loads."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from etl.sources.base import Field, Source
from etl.sources.categories import CATEGORIES, SSMSI_INDICATORS
from etl.sources.loader import FileReport, load_file
from etl.sources.registry import SOURCES, fact_table_names
from tests.support.sources_fixture import BRIGADES, COMMUNES, DEPARTEMENTS, memory_warehouse

TODAY = date(2025, 6, 30)
TOMORROW = pd.Timestamp(TODAY) + pd.Timedelta(days=1)
#: a few sources covering every field kind, child tables and derived columns
CHECKED = ("crime", "crime_dep", "facts", "complaints", "contacts", "alerts", "dcas",
           "immersions", "diagnostics", "presence")
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CODES = [c[0] for c in COMMUNES]
garbage = st.one_of(st.text(max_size=12), st.integers().map(str),
                    st.floats().map(str), st.sampled_from(["", "NA", " ", ";", '"', "é", "\x00"]))


def _dates(fmt: str, last: str = "2100-12-31") -> st.SearchStrategy[str]:
    return st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                        max_value=pd.Timestamp(last).to_pydatetime()).map(
        lambda d: d.strftime(fmt))


def _past(fmt: str) -> st.SearchStrategy[str]:
    return _dates(fmt, "2025-06-29")


def valid(f: Field) -> st.SearchStrategy[str]:
    """Values that are valid for the field on their own (rows may still break a row check)."""
    by_name = {
        "communes_ciblees": st.lists(st.sampled_from([*CODES, "1001"]), min_size=1,
                                     max_size=4).map("|".join),
        "telephone": st.sampled_from(["06 39 98 00 01", "+33639980002", "0033 1 99 00 00 04"]),
        "indicateur": st.sampled_from([*SSMSI_INDICATORS, "vols avec armes"]),
    }
    if f.name in by_name and f.kind == "text":
        return by_name[f.name]
    k = f.kind
    if k == "insee":
        return st.sampled_from([*CODES, "1001", "2a004", " 35001 "])
    if k == "departement":
        return st.sampled_from([d[0] for d in DEPARTEMENTS] + ["1", "2a"])
    if k == "brigade":
        return st.sampled_from(BRIGADES)
    if k == "enum":
        return st.sampled_from([*(f.enum or ()), (f.enum or ("x",))[0].upper()])
    if k == "list":
        return st.lists(st.sampled_from(f.enum or ()), min_size=1, max_size=3).map("|".join)
    if k in ("int", "float"):
        lo, hi = int(f.min if f.min is not None else -5), int(f.max if f.max is not None else 3000)
        if f.not_future:  # a year: not after the load's
            hi = min(hi, TODAY.year)
        ints = st.integers(lo, hi).map(str)
        return ints if k == "int" else st.one_of(ints, st.floats(lo, hi).map(
            lambda x: f"{x:.2f}".replace(".", ",")))
    if k == "date":
        return st.one_of(_past("%Y-%m-%d"), _past("%d/%m/%Y"))
    if k == "datetime":
        return st.one_of(_past("%Y-%m-%d %H:%M"), _past("%Y-%m-%dT%H:%M:%S.%f"),
                         _past("%d/%m/%Y %H:%M"), _past("%Y-%m-%d"))
    if k == "month":
        return st.one_of(_past("%Y-%m"), _past("%Y-%m-01"))
    if k == "bool":
        return st.sampled_from(["oui", "non", "1", "0", "TRUE"])
    return st.text(max_size=15)


def near_miss(f: Field) -> st.SearchStrategy[str]:
    """Values that look right but are not (or are only just)."""
    k = f.kind
    if f.name == "communes_ciblees":
        return st.sampled_from(["35999", "3500X|35001", "|", "35001|35001"])
    if k == "insee":
        return st.sampled_from(["35999", "3500X", "٣٥٠٠١", "350011", "2C004"])
    if k == "departement":
        return st.sampled_from(["96", "3X", "975", "2C"])
    if k == "brigade":
        return st.sampled_from(["B99999", "b35051"])
    if k in ("enum", "list"):
        return st.sampled_from(["hors_liste", "|", "x|" + (f.enum or ("y",))[0]])
    if k in ("int", "float"):
        years = [str(TODAY.year), str(TODAY.year + 1)] if f.not_future else []
        return st.sampled_from(["1e400", "-0", "2,5", "-1", "99999999999999999999", "inf",
                                "nan", "1 234", "1\xa0234", "3000000", *years])
    if k in ("date", "datetime", "month"):
        return st.one_of(_dates("%Y-%m-%d"), _dates("%Y-%m"), st.sampled_from(
            ["2025-02-30", "2025-13", "2099-01-01", "2025-07-01", "31/12/2025"]))
    if k == "bool":
        return st.sampled_from(["peut-être", "2"])
    return st.text(max_size=15)


@st.composite
def garbage_file(draw, source: Source) -> bytes:
    """A CSV of valid, nearly valid and random cells, random widths, separators and encodings."""
    fields = list(draw(st.permutations(source.fields)))
    # (hypothesis favours small draws: the rare branches sit on the largest values)
    if draw(st.integers(0, 3)) == 3:  # an optional column missing, or a required one
        fields.pop(draw(st.integers(0, len(fields) - 1)))
    header = [f.name for f in fields] + draw(st.lists(st.sampled_from(["extra", ""]),
                                                      max_size=2))
    near = {f.name: valid(f) for f in fields}
    dirty = {f.name: st.one_of(valid(f), near_miss(f), garbage) for f in fields}
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        cell = dirty if draw(st.booleans()) else near  # clean rows and dirty ones
        row = [draw(cell.get(h, garbage)) for h in header]
        width = draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        rows.append(row[:width] if width < 0 else row + [draw(garbage)] * width)
    sep = draw(st.sampled_from([";", ";", ","]))
    quoted = draw(st.booleans())
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "latin-1", "cp1252",
                                                    "utf-16"]))
    out = b""
    for i, row in enumerate([header, *rows]):
        if quoted:
            buf = io.StringIO()
            csv.writer(buf, delimiter=sep, lineterminator="\n").writerow(row)
            text = buf.getvalue()
        else:
            text = sep.join(row) + "\n"
        # one line now and then in another encoding than the file's
        enc = "latin-1" if i and draw(st.integers(0, 19)) == 19 else encoding
        out += text.encode("utf-8" if enc == "utf-8-sig" and i else enc, errors="replace")
    return out


def assert_declaration_holds(con, source: Source, known) -> None:
    """Every row in the source's tables satisfies its declaration."""
    df = con.execute(f'SELECT * FROM "{source.table}"').df()  # noqa: S608 - declared name
    refs = {"insee": known.communes, "departement": known.departements,
            "brigade": known.brigades}
    for f in source.fields:
        col = df[f.name]
        if f.required:
            assert col.notna().all(), f.name
        v = col.dropna()
        if f.kind in refs:
            assert v.isin(refs[f.kind]).all(), (f.name, list(v))
        if f.kind == "enum":
            assert v.isin(f.enum).all(), (f.name, list(v))
        if f.kind == "list":
            assert all(p in f.enum for x in v for p in x.split("|")), (f.name, list(v))
        if f.kind in ("int", "float"):
            num = v.astype(float)
            assert num.map(lambda x: x == x and abs(x) != float("inf")).all(), f.name
            if f.min is not None:
                assert (num >= f.min).all(), (f.name, list(v))
            if f.max is not None:
                assert (num <= f.max).all(), (f.name, list(v))
        if f.not_future and f.kind == "int":  # a year
            assert (v.astype(int) <= TODAY.year).all(), (f.name, list(v))
        elif f.not_future:
            assert (pd.to_datetime(v) < TOMORROW).all(), (f.name, list(v))
        if f.ref is not None:  # loaded rows have their parent
            assert v.isin(known.parents[(f.ref.table, f.ref.column)]).all(), (f.name, list(v))
    assert not df.duplicated(list(source.key)).any()
    if source.name == "alerts":
        targets = con.execute("SELECT id_alerte, code_commune FROM alert_communes").df()
        assert targets["code_commune"].isin(known.communes).all()
        assert set(targets["id_alerte"]) <= set(df["id_alerte"])
        assert not targets.duplicated().any()
    if source.name == "dcas":
        themes = con.execute("SELECT id_consultation, theme FROM dcas_attentes").df()
        assert themes["theme"].isin(source.field("attentes").enum).all()
        assert set(themes["id_consultation"]) == set(df["id_consultation"])
        assert not themes.duplicated().any()
    if source.name == "crime":
        assert df.loc[df["est_diffuse"] == "ndiff", ["nombre", "taux_pour_mille"]].isna().all(
            axis=None)
        assert df.loc[df["est_diffuse"] == "diff", "nombre"].notna().all()
    if source.name == "facts":
        assert (df["indicateur"] == df["categorie"].map(lambda c: CATEGORIES[c][0])).all()
    if source.name == "immersions":  # a future date or a feedback: planned or done, not both
        planned = df["statut"].eq("planifiee").fillna(False).astype(bool)
        assert (planned | (pd.to_datetime(df["date_immersion"]) < TOMORROW)).all()
        assert df.loc[planned, "note"].isna().all()


_WAREHOUSE: list = []


def warehouse() -> tuple:
    """One in-memory warehouse for the module, emptied of loaded rows before each example."""
    if not _WAREHOUSE:
        _WAREHOUSE.extend(memory_warehouse())
    con, known = _WAREHOUSE
    for table in [*fact_table_names(), "quarantine", "load_runs"]:
        con.execute(f'DELETE FROM "{table}"')  # noqa: S608 - declared names
    return con, known


def load_bytes(source: Source, data: bytes, suffix: str = ".csv") -> tuple:
    con, known = warehouse()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{source.name}{suffix}"
        path.write_bytes(data)
        report = load_file(con, source, path, "run-prop", known, today=TODAY)
    return con, known, report


def check(con, known, source: Source, report: FileReport) -> None:
    assert isinstance(report, FileReport)
    event("file refused" if report.rejected_file else
          "rows loaded" if report.loaded else "nothing loaded")
    assert report.loaded + report.unchanged + report.replaced <= report.read
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    assert quarantined == report.quarantined
    assert con.execute("SELECT count(*) FROM load_runs").fetchone()[0] == 1
    n = con.execute(f'SELECT count(*) FROM "{source.table}"').fetchone()[0]  # noqa: S608
    assert n == report.loaded
    if report.rejected_file:
        assert n == 0
    assert_declaration_holds(con, source, known)


@PROPERTY
@given(name=st.sampled_from(CHECKED), data=st.data())
def test_garbage_csv_never_crashes_nor_loads_bad_rows(name, data):
    source = SOURCES[name]
    con, known, report = load_bytes(source, data.draw(garbage_file(source)))
    check(con, known, source, report)


@PROPERTY
@given(name=st.sampled_from(list(SOURCES)), data=st.binary(max_size=300))
def test_random_bytes_never_crash(name, data):
    source = SOURCES[name]
    con, known, report = load_bytes(source, data)
    check(con, known, source, report)
    header = next(iter(source.fields)).name.encode()
    con, known, report = load_bytes(source, header + b"\n" + data)
    check(con, known, source, report)


@PROPERTY
@given(name=st.sampled_from(["facts", "presence", "complaints", "dcas"]), data=st.data())
def test_garbage_parquet_never_crashes_nor_loads_bad_rows(name, data):
    source = SOURCES[name]
    n = data.draw(st.integers(0, 6))
    frame = {}
    for f in source.fields:
        kind = data.draw(st.sampled_from(["valid", "valid", "near", "typed"]))
        if kind != "typed":
            values = valid(f) if kind == "valid" else st.one_of(valid(f), near_miss(f))
            frame[f.name] = [data.draw(values) for _ in range(n)]
        else:  # one Python type per column, as pyarrow needs
            one = data.draw(st.sampled_from([st.integers(-10**12, 10**12), st.floats(),
                                             st.text(max_size=8), st.booleans(), st.dates(),
                                             st.datetimes()]))
            frame[f.name] = [data.draw(st.one_of(st.none(), one)) for _ in range(n)]
    buf = io.BytesIO()
    try:
        pd.DataFrame(frame).to_parquet(buf, index=False)
    except Exception:  # noqa: BLE001 - a frame pyarrow cannot write is no test case
        return
    con, known, report = load_bytes(source, buf.getvalue(), ".parquet")
    check(con, known, source, report)
