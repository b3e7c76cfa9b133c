"""Output folders: where a command may write, and how it replaces its own earlier output.

The guarantee (README, "Files on disk"): a command writes only into a folder that does not
exist yet, or over an earlier output of the same kind written by bianzhi; everything else on
disk is left as it was, whatever the input. Concretely, `--out DIR` is refused (exit 2,
naming DIR and why) when DIR

- is `/`, the home folder, the working folder or one of their ancestors;
- is, or contains, an input in use (the data folder or workbook, a scenario file, a plan
  being compared);
- is a symbolic link, a file, or anything but a folder;
- is a folder that bianzhi did not write (no marker), or that holds files bianzhi did not
  write (a note a planner saved into an old plan folder is never deleted).

An empty folder counts as new. A new output is written into a temporary folder beside DIR and
put in place in one step: on Linux `renameat2(RENAME_EXCHANGE)` swaps it with the old output,
so there is never a moment without a complete output at DIR; elsewhere the old output stays
until the new one is complete and is then renamed away. A lock file beside DIR stops a second
command writing the same DIR at the same time, and temporary folders left by killed commands
are removed by the next command writing into the same parent folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from solver.errors import BianzhiError

MARKER = ".bianzhi.json"  # written into every output folder: {"tool": "bianzhi", "kind": …}
KINDS = ("plan", "sweep", "compare", "data")

# Names of what each kind of output folder may hold; anything else is the user's and blocks
# replacement. Plan tables are matched by name pattern so that later tables need no edit here.
_PLAN_NAMES = re.compile(
    r"^(?:[a-z_]+\.csv|plan\.xlsx|summary\.json|report\.html|alt-\d+|inputs|years|"
    + re.escape(MARKER) + r")$")
_ALLOWED = {
    "plan": _PLAN_NAMES,
    "sweep": re.compile(r"^(?:p\d+|results(?:_wide)?\.csv|sweep\.html|"
                        + re.escape(MARKER) + r")$"),
    "compare": re.compile(r"^(?:[a-z_]+\.csv|compare\.(?:json|html)|"
                          + re.escape(MARKER) + r")$"),
    "data": re.compile(r"^(?:[a-z_]+\.csv|" + re.escape(MARKER) + r")$"),
}
# Temporary and old folders of this module and of earlier versions (".NAME.tmp-PID-NS").
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?:bianzhi-tmp|bianzhi-old|tmp|old)-(?P<pid>\d+)-\d+$")
_RENAME_EXCHANGE = 2
_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


class OutputError(BianzhiError):
    """An output path the command may not write (exit 2)."""


@dataclass
class OutputFolder:
    """A claimed output folder: locked, checked, with a temporary folder to fill."""

    target: Path
    kind: str
    tmp: Path
    committed: bool = False

    def commit(self) -> Path:
        """Put the finished temporary folder in place of the target, atomically."""
        write_marker(self.tmp, self.kind)
        os.chmod(self.tmp, 0o755)
        swap_into_place(self.tmp, self.target)
        self.committed = True
        return self.target


def write_marker(folder: Path, kind: str) -> None:
    """Mark a folder as an output of this tool (what `--out` may later replace)."""
    (folder / MARKER).write_text(json.dumps({"tool": "bianzhi", "kind": kind}) + "\n",
                                 encoding="utf-8")


def output_kind(folder: Path) -> str | None:
    """The kind of bianzhi output `folder` is, or None if bianzhi did not write it."""
    marker = folder / MARKER
    with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
        if marker.is_file() and not marker.is_symlink():
            data = json.loads(marker.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("tool") == "bianzhi" \
                    and data.get("kind") in KINDS:
                return data["kind"]
    # plan folders written before the marker existed: summary.json with the tool's name
    summary = folder / "summary.json"
    with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
        if summary.is_file() and not summary.is_symlink() and summary.stat().st_size < 50_000_000:
            data = json.loads(summary.read_text(encoding="utf-8"))
            tool = data.get("tool") if isinstance(data, dict) else None
            if isinstance(tool, dict) and tool.get("name") == "bianzhi":
                return "plan"
    return None


def is_plan_folder(folder: Path) -> bool:
    """True for a plan folder written by bianzhi run."""
    return folder.is_dir() and not folder.is_symlink() and output_kind(folder) == "plan"


def _resolved(path: Path) -> Path:
    return Path(os.path.abspath(os.path.expanduser(str(path))))


def _within(inner: Path, outer: Path) -> bool:
    """inner is outer or lies below it (both absolute, symlinks resolved where they exist)."""
    return inner == outer or outer in inner.parents


def _real(path: Path) -> Path:
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError):  # a symlink loop: compare the path as written
        return _resolved(path)


def check_output(target: Path, kind: str, inputs: Iterable[Path] = (), option: str = "--out"
                 ) -> Path:
    """Refuse (OutputError) any target this command may not write; return it absolute."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    if str(target).strip() == "":
        raise OutputError(f"{option}: give a folder to write (an empty path was given)")
    absolute = _resolved(target)
    real = _real(absolute)
    shown = str(target)
    forbidden = {Path("/"): "the root folder", _real(Path.home()): "your home folder",
                 _real(Path.cwd()): "the current folder"}
    for place, what in forbidden.items():
        if _within(place, real):
            raise OutputError(
                f"{option} {shown}: refusing to write there: it is {what}"
                + ("" if place == real else f" or contains it ({place})")
                + "; give a new folder, e.g. plans/my-plan")
    for path in inputs:
        used = _real(_resolved(path))
        if _within(used, real):
            raise OutputError(
                f"{option} {shown}: refusing to write there: it "
                + ("is" if used == real else "contains")
                + f" an input in use ({path}); give a new folder for the output")
    if os.path.lexists(absolute):
        if absolute.is_symlink():
            raise OutputError(f"{option} {shown}: is a symbolic link; give a real folder "
                              "(bianzhi does not replace links)")
        if not absolute.is_dir():
            raise OutputError(f"{option} {shown}: exists and is not a folder; bianzhi does not "
                              "overwrite it — give a new folder name")
        try:
            entries = sorted(os.listdir(absolute))
        except OSError as exc:
            raise OutputError(f"{option} {shown}: cannot be read ({exc.strerror})") from None
        if entries:
            found = output_kind(absolute)
            if found is None:
                raise OutputError(
                    f"{option} {shown}: is an existing folder that bianzhi did not write "
                    f"({len(entries)} entries, e.g. {entries[0]!r}); bianzhi only creates new "
                    "folders or replaces its own earlier output — give a new folder name")
            if found != kind:
                raise OutputError(
                    f"{option} {shown}: holds a bianzhi {found} output, not a {kind} output; "
                    "give another folder")
            foreign = [e for e in entries if not _ALLOWED[kind].match(e)]
            if foreign:
                raise OutputError(
                    f"{option} {shown}: is an earlier {kind} output, but also holds files "
                    f"bianzhi did not write ({', '.join(repr(e) for e in foreign[:5])}); "
                    "move them elsewhere or give a new folder name")
    parent = absolute.parent
    if os.path.lexists(parent) and not parent.is_dir():
        raise OutputError(f"{option} {shown}: {parent} is not a folder")
    return absolute


def _lock(target: Path) -> tuple[int, Path]:
    """Hold an exclusive lock for writing `target` (a hidden file beside it)."""
    path = target.parent / f".{target.name}.bianzhi-lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise OutputError(
                    f"{target}: another bianzhi command is writing this folder right now; "
                    "wait for it to finish, or give another --out") from None
            raise
        # the holder before us may have removed the file after we opened it: lock anew
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd, path
        os.close(fd)


def _unlock(fd: int, path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
    os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temporaries(parent: Path, name: str | None = None) -> list[Path]:
    """Remove temporary folders left in `parent` by killed commands; return them.

    A temporary folder of the name being written (its lock is held by us) is stale whatever
    its process; others are stale when their process is gone.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(match["pid"])
        if (name is not None and match["name"] == name and pid != os.getpid()) \
                or not _pid_alive(pid):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """renameat2(2) where libc has it; False when the system or file system does not."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                     ctypes.c_uint]
    result = func(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(target))


def swap_into_place(new: Path, target: Path) -> None:
    """Make `new` the folder at `target` in one step; the old folder there is removed."""
    if not os.path.lexists(target):
        if _renameat2(new, target, _RENAME_NOREPLACE):
            return
        os.rename(new, target)
        return
    if _renameat2(new, target, _RENAME_EXCHANGE):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old output
        return
    # No atomic exchange here: the old output stays until the new one is complete.
    old = target.parent / f".{target.name}.bianzhi-old-{os.getpid()}-{time.monotonic_ns()}"
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def claim_output(target: Path, kind: str, inputs: Iterable[Path] = (), option: str = "--out"
                 ) -> Iterator[OutputFolder]:
    """Check, lock and prepare `target`; the caller fills `.tmp` and calls `.commit()`.

    Without a commit (an error, Ctrl-C) the temporary folder is removed and the target is
    exactly as it was.
    """
    inputs = list(inputs)
    target = check_output(target, kind, inputs, option)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{option} {target}: cannot create {target.parent} "
                          f"({exc.strerror})") from None
    fd, lock_path = _lock(target)
    tmp: Path | None = None
    try:
        # checked again under the lock: another command may have written it meanwhile
        check_output(target, kind, inputs, option)
        clean_stale_temporaries(target.parent, target.name)
        tmp = target.parent / f".{target.name}.bianzhi-tmp-{os.getpid()}-{time.monotonic_ns()}"
        tmp.mkdir()
        folder = OutputFolder(target, kind, tmp)
        yield folder
    finally:
        if tmp is not None and os.path.lexists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        _unlock(fd, lock_path)


def check_output_file(path: Path, inputs: Iterable[Path] = (), option: str = "--xlsx") -> Path:
    """A single output file may be new, or an earlier workbook of this tool; nothing else."""
    absolute = _resolved(path)
    for used in inputs:
        if _real(_resolved(used)) == _real(absolute):
            raise OutputError(f"{option} {path}: is an input in use; give a new file name")
    if os.path.lexists(absolute):
        if absolute.is_symlink() or not absolute.is_file():
            raise OutputError(f"{option} {path}: exists and is not a regular file; give a new "
                              "file name")
        if not written_by_bianzhi(absolute):
            raise OutputError(f"{option} {path}: exists and was not written by bianzhi; it is "
                              "not replaced — give a new file name")
    return absolute


def written_by_bianzhi(path: Path) -> bool:
    """True for an xlsx workbook whose document properties name bianzhi as its creator."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml")
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    return b"<dc:creator>bianzhi</dc:creator>" in core


@contextlib.contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold the write lock of `target` (a file or folder) for the duration."""
    fd, path = _lock(_resolved(target))
    try:
        yield
    finally:
        _unlock(fd, path)
