"""Audio and video sources: the transcript is imported as the document, with its codings;
codings on what is not text (time spans, page areas, pictures) refuse the import unless
--skip-unreadable, which then names them.

The shape is ATLAS.ti 25's audio export as another project's tests describe it (an audio
source whose `path` is `relative:///` outside the archive, its `Transcript` as plain text
without a byte-order mark, a `SyncPoint` at the start of every line with `position` and
`timeStamp` in milliseconds), with codings on `TranscriptSelection`s between sync points.
Written here by hand."""

from __future__ import annotations

from pathlib import Path

from refi_support import dump, make_zip

AUDIO = "0A0A0A0A-1111-4111-8111-000000000001"
TRANSCRIPT = "0A0A0A0A-1111-4111-8111-000000000002"
VIDEO = "0A0A0A0A-1111-4111-8111-000000000003"
CODE = "0C0C0C0C-1111-4111-8111-000000000001"
TEXT = (
    "Anna: I book by phone.\nBen: Why not the app?\nAnna: It confuses me.\n"
    "Still Anna, no new label.\nBen: Thank you.\n"
)
LINES = [0, *(i + 1 for i, c in enumerate(TEXT) if c == "\n")]


def _sync() -> str:
    return "".join(
        f'<SyncPoint guid="0B0B0B0B-1111-4111-8111-00000000000{i}" position="{pos}" '
        f'timeStamp="{i * 2500}"/>'
        for i, pos in enumerate(LINES)
    )


def _qde(audio_coding: bool, video_coding: bool) -> str:
    time_span = (
        '<AudioSelection guid="0D0D0D0D-1111-4111-8111-000000000009" begin="0" end="2500">'
        f'<Coding guid="0E0E0E0E-1111-4111-8111-000000000009"><CodeRef targetGUID="{CODE}"/>'
        "</Coding></AudioSelection>"
        if audio_coding
        else ""
    )
    video = (
        f'<VideoSource guid="{VIDEO}" name="Waiting room" path="relative:///waiting.mp4">'
        '<VideoSelection guid="0D0D0D0D-1111-4111-8111-00000000000a" begin="0" end="900">'
        f'<Coding guid="0E0E0E0E-1111-4111-8111-00000000000a"><CodeRef targetGUID="{CODE}"/>'
        "</Coding></VideoSelection></VideoSource>"
        if video_coding
        else f'<VideoSource guid="{VIDEO}" name="Waiting room" path="relative:///waiting.mp4"/>'
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Audio study" origin="ATLAS.ti 25.0.1">
 <Users><User guid="0F0F0F0F-1111-4111-8111-000000000001" name="dana"/></Users>
 <CodeBook><Codes><Code guid="{CODE}" name="Phone booking" isCodable="true"/></Codes></CodeBook>
 <Sources>
  <AudioSource guid="{AUDIO}" name="Interview 1" path="relative:///interview1.m4a">
   <Transcript guid="{TRANSCRIPT}" name="Interview 1 transcript"
     plainTextPath="internal://{TRANSCRIPT}.txt">
    {_sync()}
    <TranscriptSelection guid="0D0D0D0D-1111-4111-8111-000000000001"
      fromSyncPoint="0B0B0B0B-1111-4111-8111-000000000000"
      toSyncPoint="0B0B0B0B-1111-4111-8111-000000000001"
      creatingUser="0F0F0F0F-1111-4111-8111-000000000001">
     <Coding guid="0E0E0E0E-1111-4111-8111-000000000001"
       creatingUser="0F0F0F0F-1111-4111-8111-000000000001"
       creationDateTime="2026-09-09T10:00:00Z"><CodeRef targetGUID="{CODE}"/></Coding>
    </TranscriptSelection>
   </Transcript>
   {time_span}
  </AudioSource>
  {video}
  <PictureSource guid="0A0A0A0A-1111-4111-8111-000000000004" name="Leaflet photo"
    path="relative:///leaflet.jpg"/>
 </Sources>
</Project>"""


def _qdpx(path: Path, audio_coding: bool = False, video_coding: bool = False) -> Path:
    return make_zip(
        path,
        {
            "project.qde": _qde(audio_coding, video_coding).encode("utf-8"),
            f"sources/{TRANSCRIPT}.txt": TEXT.encode("utf-8"),
        },
    )


def test_an_audio_sources_transcript_is_imported_with_its_codings(cli, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    r = cli("import", _qdpx(tmp_path / "audio.qdpx"), "--project", project)
    assert r.code == 0, r.err
    assert "audio.qdpx: 1 documents, 1 codes, 1 codings, 0 memos imported" in r.out
    assert "skipped 1 VideoSources with no transcript" in r.out
    assert "skipped 1 PictureSources with no transcript" in r.out
    d = dump(project)
    (doc,) = d["documents"]
    assert doc[0] == "Interview 1" and doc[4] == TEXT
    (coding,) = d["codings"]
    assert TEXT[coding[1] : coding[2]] == "Anna: I book by phone.\n"
    assert (coding[3], coding[4]) == ("phone-booking", "dana")
    # each turn takes the time of the sync point it starts at (2.5 s a line here)
    turns = [(seg[5], seg[6]) for seg in dump(project)["segments"] if seg[2] == "turn"]
    assert turns == [
        ("Anna", "00:00:00.000"),
        ("Ben", "00:00:02.500"),
        ("Anna", "00:00:05.000"),
        ("Ben", "00:00:10.000"),
    ]


def test_codings_on_time_spans_refuse_the_import(cli, tmp_path: Path) -> None:
    project = tmp_path / "p.sqlite"
    qdpx = _qdpx(tmp_path / "audio.qdpx", audio_coding=True, video_coding=True)
    r = cli("import", qdpx, "--project", project)
    assert r.code == 2
    assert r.err.strip().splitlines() == [
        f"{qdpx}: source 'Waiting room' cannot be read (only the text of a source is "
        "imported) and carries 1 codings",
        f"{qdpx}: 1 codings on audio time spans in 'Interview 1' cannot be placed; nothing "
        "imported (add --skip-unreadable to import the rest)",
    ]
    assert not project.exists()
    r = cli("import", qdpx, "--skip-unreadable", "--project", project)
    assert r.code == 0, r.err
    assert "audio.qdpx: 1 documents, 1 codes, 1 codings, 0 memos imported" in r.out
    assert (
        "warning: dropped source 'Waiting room' (only the text of a source is imported) "
        "with its 1 codings" in r.out
    )
    assert "warning: dropped 1 codings on audio time spans in 'Interview 1'" in r.out
