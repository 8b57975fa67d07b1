"""A hidden track costs what an unknown one does: the read of one track by id.

Checked by the work the database does, not by wall-clock time: the same query (same SQL
text, parameters aside) asks for a track hidden from the reader with 5,000 stored states
and for a track that does not exist. Reference: the unknown id's cost.

- SQLite: the number of virtual-machine instructions the statement runs (a progress
  handler called at every instruction); tolerance: none, the two must be equal.
- PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``: the rows each plan node produced, summed,
  and the buffers touched; tolerance: none for rows, and both within a few index pages.

Without the release check first, the hidden track's 5,000 states were each read and
joined to their message before the visibility filter dropped them (6.3 ms against 4.0 ms
for an unknown id, and thousands of instructions more).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Engine

from tests.service.conftest import message, track_state
from tracklayer.service.auth import add_partner
from tracklayer.service.db import make_engine, migrate
from tracklayer.service.ingest import ingest_tracks
from tracklayer.service.picture import history_query, track_history
from tracklayer.service.schemas import TrackMessage

N_STATES = 5000
PER_MESSAGE = 500


def _database(db_url: str) -> Engine:
    """USA's track H1 (5,000 states) released to JPN only; KOR is the curious reader."""
    engine = make_engine(db_url)
    migrate(engine)
    for code in ("USA", "JPN", "KOR"):
        add_partner(engine, code)
    for m in range(N_STATES // PER_MESSAGE):
        tracks = [
            track_state("USA", "H1", t_s=float(m * PER_MESSAGE + k)) for k in range(PER_MESSAGE)
        ]
        body = TrackMessage.model_validate(message(f"h{m}", ["JPN"], tracks))
        ingest_tracks(engine, "USA", body)
    ingest_tracks(
        engine,
        "USA",
        TrackMessage.model_validate(message("pub", "all", [track_state("USA", "P1")])),
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return engine


def _sqlite_instructions(engine: Engine, query: Any) -> int:
    """Virtual-machine instructions SQLite runs for ``query`` (rows fetched)."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        raw.set_progress_handler(tick, 1)
        try:
            conn.execute(query).all()
        finally:
            raw.set_progress_handler(None, 1)
    return count[0]


def _postgres_work(engine: Engine, query: Any) -> tuple[int, int]:
    """``(rows produced by every plan node, buffers touched)`` of ``query`` on PostgreSQL."""
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}").scalar()
    doc: Any = json.loads(plan) if isinstance(plan, str) else plan
    root = doc[0]["Plan"]
    rows = 0
    stack = [root]
    while stack:
        node = stack.pop()
        rows += int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 0))
        stack.extend(node.get("Plans", []))
    buffers = int(root.get("Shared Hit Blocks", 0)) + int(root.get("Shared Read Blocks", 0))
    return rows, buffers


def test_hidden_track_costs_what_an_unknown_one_does(db_url: str) -> None:
    """KOR asks for USA/H1 (hidden, 5,000 states) and USA/NOPE (unknown): same SQL text,
    same work; JPN, to whom H1 is released, reads all 5,000 states with the same query."""
    engine = _database(db_url)
    hidden = history_query("KOR", tracker="USA", track_id="H1")
    unknown = history_query("KOR", tracker="USA", track_id="NOPE")
    visible = history_query("JPN", tracker="USA", track_id="H1")
    assert str(hidden) == str(unknown) == str(visible)
    assert len(track_history(engine, "KOR", tracker="USA", track_id="H1")[0]) == 0
    assert len(track_history(engine, "JPN", tracker="USA", track_id="H1")[0]) == N_STATES
    assert len(track_history(engine, "KOR", tracker="USA", track_id="P1")[0]) == 1
    if engine.dialect.name == "sqlite":
        cost_hidden = _sqlite_instructions(engine, hidden)
        cost_unknown = _sqlite_instructions(engine, unknown)
        cost_visible = _sqlite_instructions(engine, visible)
        assert cost_hidden == cost_unknown
        assert cost_visible > 10 * N_STATES > 100 * cost_hidden
    else:
        rows_hidden, buffers_hidden = _postgres_work(engine, hidden)
        rows_unknown, buffers_unknown = _postgres_work(engine, unknown)
        rows_visible, _ = _postgres_work(engine, visible)
        assert rows_hidden == rows_unknown == 0
        assert rows_visible >= N_STATES
        assert buffers_hidden <= 8 and buffers_unknown <= 8
    engine.dispose()


def test_one_track_answers_are_alike(service: tuple[Any, dict[str, str]]) -> None:
    """Over HTTP: hidden and unknown ids get the same 404 body; the released one 200."""
    client, tok = service
    body = message("h", ["JPN"], [track_state("USA", "H1")])
    headers = {"Authorization": f"Bearer {tok['USA']}"}
    assert client.post("/api/v1/tracks", json=body, headers=headers).status_code == 201
    kor = {"Authorization": f"Bearer {tok['KOR']}"}
    hidden = client.get("/api/v1/tracks/USA/H1", headers=kor)
    unknown = client.get("/api/v1/tracks/USA/NOPE", headers=kor)
    assert (hidden.status_code, hidden.content) == (unknown.status_code, unknown.content)
    assert hidden.status_code == 404
    jpn = {"Authorization": f"Bearer {tok['JPN']}"}
    assert client.get("/api/v1/tracks/USA/H1", headers=jpn).status_code == 200
    with client.app.state.engine.connect() as conn:
        grants = conn.exec_driver_sql("SELECT tracker, track_id, partner FROM track_releases")
        assert sorted(tuple(r) for r in grants) == [("USA", "H1", "JPN")]
