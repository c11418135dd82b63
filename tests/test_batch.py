"""likekit diagnose INPUT --out DIR: Parquet outputs written atomically; simulate's writers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

import likekit as lk
from likekit import batch
from likekit.cli import main


@pytest.fixture(scope="module")
def two_creators() -> pd.DataFrame:
    parts = []
    for name, seed in (("ann", 3), ("bob", 11)):
        sim = lk.simulate("bot_purge", n_videos=6, days=12, seed=seed)
        parts.append(
            sim.counts.assign(video_id=name + "-" + sim.counts["video_id"], creator_id=name)
        )
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def dataset(two_creators, tmp_path_factory):
    """The table as a hive-partitioned Parquet dataset, one folder per creator."""
    root = tmp_path_factory.mktemp("dataset")
    two_creators.to_parquet(root, partition_cols=["creator_id"], index=False)
    return root


def _files(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_diagnose_dataset_by_panel_writes_what_the_api_finds(two_creators, dataset, tmp_path):
    out = tmp_path / "diag"
    assert main(["diagnose", str(dataset), "--out", str(out), "--panel", "creator_id"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(batch.OUTPUTS)
    expected = lk.diagnose(two_creators, panel="creator_id")
    pdt.assert_frame_equal(pd.read_parquet(out / "events.parquet"), expected.events)
    pdt.assert_frame_equal(pd.read_parquet(out / "waves.parquet"), expected.waves)
    videos = pd.read_parquet(out / "videos.parquet")
    pdt.assert_frame_equal(videos[expected.videos.columns], expected.videos)
    assert videos["verdict"].notna().all()
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["panels"], summary["videos"]) == (2, expected.videos.shape[0])
    assert summary["events"] == expected.events["cause"].value_counts().to_dict()
    assert summary["answer"]["verdict"] == expected.answer().verdict
    assert not list(tmp_path.glob(".diag-*")), "temporary directory left behind"


def test_failed_run_keeps_last_good_directory(two_creators, tmp_path, monkeypatch, capsys):
    table, out = tmp_path / "panel.csv", tmp_path / "diag"
    two_creators.drop(columns="creator_id").to_csv(table, index=False)
    assert main(["diagnose", str(table), "--out", str(out)]) == 0
    good = _files(out)
    # bad input: one line, exit 2
    capsys.readouterr()
    assert main(["diagnose", str(tmp_path / "nope.csv"), "--out", str(out)]) == 2
    # what is left on the terminal once the stage bar has cleared itself
    err = capsys.readouterr().err.rsplit("\r", 1)[-1]
    assert err.startswith("likekit: error:") and err.count("\n") == 1
    # a missing panel column is bad input too
    assert main(["diagnose", str(table), "--out", str(out), "--panel", "creator_id"]) == 2
    # a failure while writing: the old directory stays, no temporary directory is left
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _fail)
    capsys.readouterr()
    assert main(["diagnose", str(table), "--out", str(out)]) == 1
    assert "disk full" in capsys.readouterr().err
    assert _files(out) == good
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _fail(*args, **kwargs):
    raise OSError("disk full")


def test_replacing_a_directory_drops_stale_files(two_creators, tmp_path, capsys):
    table, out = tmp_path / "panel.parquet", tmp_path / "diag"
    two_creators.to_parquet(table, index=False)
    out.mkdir()
    (out / "stale.txt").write_text("from an older run")
    assert main(["diagnose", str(table), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(batch.OUTPUTS)
    assert "likekit diagnose" in capsys.readouterr().err  # the stage bar
    assert main(["diagnose", str(table), "--out", str(out), "--no-progress-bar"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: None, "folder without yt-dlp .info.json captures"),
        (lambda d: (d / "part.parquet").write_bytes(b"PAR1 not really"), "not a readable"),
    ],
)
def test_bad_dataset_directory_is_one_line_error(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(lk.LikekitInputError, match=message):
        lk.load_counts(tmp_path)


def test_simulate_writes_parquet_by_suffix(tmp_path):
    out = tmp_path / "sim.parquet"
    assert main(["simulate", "server_glitch", "--out", str(out), "--n-videos", "3"]) == 0
    counts = pd.read_parquet(out)
    assert (tmp_path / "sim_truth.parquet").exists()
    assert counts["video_id"].nunique() == 3


def test_simulate_help_says_parquet(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    assert "Parquet when the name ends in .parquet" in " ".join(capsys.readouterr().out.split())


def test_chunked_csv_is_the_same_file(tmp_path, monkeypatch):
    sim = lk.simulate("server_glitch", n_videos=3, days=5, seed=1)
    monkeypatch.setattr(batch, "CSV_CHUNK", 7)  # many chunks, the last one partial
    batch.write_csv(sim.counts, tmp_path / "chunked.csv", progress=True)
    sim.counts.to_csv(tmp_path / "plain.csv", index=False)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()


def test_diagnose_reads_the_table_as_the_loader_options_say(tmp_path, capsys):
    sheet = Path(__file__).parent / "data" / "good" / "ambiguous_dates.csv"
    # every day <= 12: without an order the loader refuses, in one line, exit 2
    assert main(["diagnose", str(sheet), "--out", str(tmp_path / "no")]) == 2
    assert "--dayfirst" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    out = tmp_path / "yes"
    argv = ["diagnose", str(sheet), "--out", str(out), "--dayfirst", "--no-progress-bar"]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    expected = lk.load_counts(sheet, dayfirst=True)
    assert summary["rows"] == len(expected)
    assert pd.read_parquet(out / "videos.parquet").index.tolist() == ["v"]
    followers = sheet.with_name("followers.csv")
    argv = ["diagnose", str(followers), "--out", str(out), "--metric", "followers"]
    assert main([*argv, "--no-progress-bar"]) == 0
    assert json.loads((out / "summary.json").read_text())["metric"] == "followers"
