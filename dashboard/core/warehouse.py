"""The dashboard's only data access: parameterised read-only queries on the published warehouse."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import flask
import pandas as pd

from dashboard.core import geo
from dashboard.core.cache import Lru
from etl.warehouse import parts

log = logging.getLogger(__name__)

EXTENSION_KEY = "presence_warehouse"
GEOJSON_CACHE_SIZE = 64
REFERENCE_CACHE_SIZE = 256


class WarehouseUnavailable(RuntimeError):
    """The published warehouse file is missing (the ETL has not built it yet)."""


def _signature(path: Path) -> tuple[int, int, int, int]:
    """Identity of what is published (its manifest, or its one file)."""
    try:
        return parts.signature(path)
    except FileNotFoundError as exc:
        raise WarehouseUnavailable(str(path)) from exc


def _main_identity(path: Path) -> object:
    """Identity of the main file (geometries, reference): the maps' shapes are kept as long as
    it is the same, whatever the parts (facts, forms) do."""
    manifest = parts.read_manifest(path)
    if manifest is not None:
        return manifest.files.get(parts.MAIN)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


class Warehouse:
    """Read-only access to the published warehouse, safe to share between threads.

    The ETL publishes new files and then a new manifest naming them (``etl.warehouse.parts``;
    or, for a warehouse published as one file, ``os.replace``-s that file). DuckDB caches an
    open database per path inside a process, and closing a connection also kills its cursors:
    on a change, queries in flight on the old files are let finish, then the connection is
    closed, and only then opened again on the new manifest's files.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._cond = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._signature: tuple[int, int, int, int] | None = None
        self._in_flight = 0
        # (layer) → (main file identity, collection); (sql, params) → (signature, frame): an
        # entry is trusted only for the file it was read from
        self._geojson: Lru[tuple[object, dict]] = Lru(GEOJSON_CACHE_SIZE)
        self._main: object = None
        self._search_path = ""
        self._reference: Lru[tuple[tuple[int, int, int, int] | None, pd.DataFrame]] = Lru(
            REFERENCE_CACHE_SIZE)

    # --- connection ------------------------------------------------------------------------
    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._cond:
            while True:
                # stat before connecting: a file replaced in between is then seen as changed at
                # the next query, never the other way round
                signature = _signature(self.path)
                if self._con is not None and signature == self._signature:
                    break
                if self._in_flight == 0:
                    self._reopen(signature)
                    break
                self._cond.wait(timeout=5)
            self._in_flight += 1
            cursor = self._con.cursor()  # type: ignore[union-attr]
            if self._search_path:
                cursor.execute("SET search_path = ?", [self._search_path])
        try:
            yield cursor
        finally:
            cursor.close()
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor on the published file, for the analytics' functions that take a
        DuckDB connection (``etl.analytics``); :attr:`version` names the file it reads while
        the block runs. Consume every result inside the block."""
        with self._cursor() as cursor:
            yield cursor

    def _reopen(self, signature: tuple[int, int, int, int]) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
            log.info("warehouse file changed: reopening %s", self.path)
        main = _main_identity(self.path)
        if main != self._main:
            self._geojson.clear()
        try:
            self._con = parts.connect(self.path)
        except FileNotFoundError as exc:
            raise WarehouseUnavailable(str(self.path)) from exc
        # each cursor is a DuckDB connection of its own: it gets the parts' search path
        self._search_path = self._con.execute(
            "SELECT current_setting('search_path')").fetchall()[0][0]
        self._main = main
        self._signature = signature

    def close(self) -> None:
        with self._cond:
            while self._in_flight:
                self._cond.wait(timeout=5)
            if self._con is not None:
                self._con.close()
            self._con = None
            self._signature = None

    def query(self, sql: str, params: dict | list | None = None) -> pd.DataFrame:
        """Run one parameterised query; values always travel as parameters, never in ``sql``."""
        return self._query_versioned(sql, params)[0]

    def _query_versioned(self, sql: str, params: dict | list | None = None
                         ) -> tuple[pd.DataFrame, tuple[int, int, int, int] | None]:
        """The result and the identity of the file it was read from."""
        with self._cursor() as cursor:
            # no reopen can happen while this query is in flight: the signature is the file's
            version = self._signature
            return cursor.execute(sql, params or {}).df(), version

    def query_reference(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """:meth:`query` for the small lists every page reads (départements, a département's
        brigades, the months with data…): kept per warehouse file, so that a newly published
        one is read again. The caller gets its own copy."""
        key = (sql, tuple(sorted((params or {}).items())))
        current = _signature(self.path)
        hit = self._reference.get(key)
        if hit is not None and hit[0] == current:
            return hit[1].copy()
        frame, version = self._query_versioned(sql, params)
        if version == current:
            self._reference.put(key, (version, frame))
        return frame.copy()

    @property
    def version(self) -> tuple[int, int, int, int] | None:
        """Identity of the file last opened (device, inode, mtime, size)."""
        return self._signature

    # --- scope lookups ---------------------------------------------------------------------
    _UNIT_DEPARTEMENT = {
        "compagnie": "SELECT departement FROM compagnies WHERE compagnie_id = $code",
        "brigade": "SELECT departement FROM brigades WHERE brigade_id = $code",
        "commune": "SELECT departement FROM communes WHERE code = $code",
        "region": "SELECT NULL AS departement FROM regions WHERE code = $code",
        "departement": "SELECT code AS departement FROM departements WHERE code = $code",
    }

    def unit_departement(self, level: str, code: str) -> str | None:
        """Département of a compagnie, brigade or commune (None when unknown)."""
        frame = self.query(self._UNIT_DEPARTEMENT[level], {"code": code})
        return None if frame.empty else frame.iloc[0, 0]

    def unit_exists(self, level: str, code: str) -> bool:
        return not self.query(self._UNIT_DEPARTEMENT[level], {"code": code}).empty

    def brigade_of_commune(self, code: str) -> str | None:
        frame = self.query("SELECT brigade_id FROM communes WHERE code = $code", {"code": code})
        return None if frame.empty else frame.iloc[0, 0]

    # --- reference tables ------------------------------------------------------------------
    def departements(self) -> pd.DataFrame:
        return self.query_reference(
            """
            SELECT code, nom, region, region_nom, outre_mer, population, population_zgn,
                   superficie_km2, nb_communes, nb_communes_zgn, nb_brigades, nb_compagnies,
                   effectif_brigades
            FROM departements
            ORDER BY code
            """
        )

    def brigades(self, departement: str) -> pd.DataFrame:
        return self.query_reference(
            """
            SELECT brigade_id, nom, departement, compagnie_id, type, commune_siege, effectif,
                   population, superficie_km2, nb_communes, source
            FROM brigades
            WHERE departement = $departement
            ORDER BY brigade_id
            """,
            {"departement": departement},
        )

    # --- geometries ------------------------------------------------------------------------
    def shapes(self, couche: str, niveau: str, departement: str | None = None,
               metropole: bool = False) -> pd.DataFrame:
        """Geometries (code, wkb) of one layer; ``metropole`` drops overseas départements."""
        return self._shapes(couche, niveau, departement, metropole)[0]

    def _shapes(self, couche: str, niveau: str, departement: str | None, metropole: bool
                ) -> tuple[pd.DataFrame, tuple[int, int, int, int] | None]:
        return self._query_versioned(
            """
            SELECT g.code, g.wkb
            FROM geometries AS g
            LEFT JOIN departements AS d ON d.code = g.departement
            WHERE g.couche = $couche AND g.niveau = $niveau
              AND ($departement IS NULL OR g.departement = $departement)
              AND (NOT $metropole OR NOT coalesce(d.outre_mer, false))
            ORDER BY g.code
            """,
            {"couche": couche, "niveau": niveau, "departement": departement,
             "metropole": metropole},
        )

    def geojson(self, couche: str, niveau: str, departement: str | None = None,
                metropole: bool = False) -> dict:
        """:meth:`shapes` as a GeoJSON FeatureCollection, cached until the main file (where the
        geometries are) changes: a load or a form's record does not drop it.

        Callers must not modify the returned dict: it is shared.
        """
        key = (couche, niveau, departement, metropole)
        hit = self._geojson.get(key)
        # a hit is only trusted for the main file it was built from
        if hit is not None and hit[0] == _main_identity(self.path):
            return hit[1]
        shapes, version = self._shapes(couche, niveau, departement, metropole)
        collection = geo.feature_collection(shapes["code"].tolist(), shapes["wkb"].tolist())
        with self._cond:
            # kept only when no reopen came in between: then it was built from ``self._main``
            built_from_main, main = self._signature == version, self._main
        if built_from_main:
            self._geojson.put(key, (main, collection))
        return collection


def plain(value: object) -> object:
    """A value of a result frame as a Python value (numpy scalars unwrapped), missing → None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def get_warehouse() -> Warehouse:
    """The warehouse of the running app (set by :func:`dashboard.app.create_app`)."""
    return flask.current_app.extensions[EXTENSION_KEY]
