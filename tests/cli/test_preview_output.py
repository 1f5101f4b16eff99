"""``gtdata preview --out FILE`` replaces its own earlier preview, never a file it did not write."""

from PIL import Image

from gtdata.cli.main import main


def test_preview_never_replaces_a_file_it_did_not_write(tmp_path, capsys):
    png = tmp_path / "p.png"
    args = ["preview", "toy", "--samples", "2", "--max-values", "2"]
    assert main(args + ["--out", str(png)]) == 0
    assert main(args + ["--out", str(png)]) == 0  # its own preview: regenerated in place
    with Image.open(png) as img:
        assert img.text["Software"].startswith("gtdata")
    capsys.readouterr()
    photo = tmp_path / "holiday.png"
    Image.new("RGB", (4, 4), "red").save(photo)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    for target in (photo, notes):
        before = target.read_bytes()
        assert main(args + ["--out", str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(target) in err and "not a gtdata preview" in err
        assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holiday.png", "notes.txt", "p.png"]
