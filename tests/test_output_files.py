"""Files symbp writes (``-o``): whole or not at all, and never at the cost of
what is already there (a device, a symlink, a read-only file, a pipe)."""

import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from symbp.cli.files import write_atomic
from symbp.errors import UsageError

GRAPH = ("graph", "f = x*y", "--at", "x=2,y=3")


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith(".symbp-")]


def test_o_onto_dev_null_writes_through_and_keeps_the_device(cli):
    status, _out, err = cli("derive", "--layers", "2,2", "-o", os.devnull)
    assert (status, err) == (0, "")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    status, _, err = cli(*GRAPH, "-o", os.devnull)
    assert (status, err) == (0, "") and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_o_onto_a_symlink_replaces_its_target_and_keeps_the_link(cli, tmp_path):
    target, link = tmp_path / "target.txt", tmp_path / "link.txt"
    target.write_text("old\n")
    link.symlink_to(target)
    assert cli(*GRAPH, "-o", link)[0] == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "f = 6" in target.read_text()
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "not_yet.txt")
    assert cli(*GRAPH, "-o", dangling)[0] == 0
    assert dangling.is_symlink() and "f = 6" in (tmp_path / "not_yet.txt").read_text()
    assert leftovers(tmp_path) == []


def test_o_onto_a_pipe_writes_through(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomic(str(fifo), "through the pipe\n")
    reader.join(timeout=10)
    assert received == ["through the pipe\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("path, fragment", [
    ("/dev/zero", "is a device"),
    (".", "is a directory"),
])
def test_directories_and_unusual_devices_are_refused(cli, tmp_path, path, fragment):
    path = tmp_path if path == "." else path
    status, out, err = cli(*GRAPH, "-o", path)
    assert status == 2 and fragment in err and len(err.strip().splitlines()) == 1
    assert out == ""
    assert leftovers(tmp_path) == []


def test_a_read_only_file_is_refused_and_left_as_it_was(cli, tmp_path):
    # symbp runs as root in CI too, where the file system would let it write
    path = tmp_path / "keep.txt"
    path.write_text("precious\n")
    path.chmod(0o444)
    status, _, err = cli(*GRAPH, "-o", path)
    assert status == 2 and "read-only" in err
    assert path.read_text() == "precious\n"


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "shared.txt"
    path.write_text("old\n")
    path.chmod(0o640)
    write_atomic(str(path), "new\n")
    assert path.read_text() == "new\n" and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_ctrl_c_during_a_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "out.txt"
    path.write_text("old\n")

    def interrupted(_fd):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(str(path), "new\n")
    assert path.read_text() == "old\n" and leftovers(tmp_path) == []


def test_fifteen_concurrent_writers_leave_one_whole_file(tmp_path):
    path = tmp_path / "out.bin"
    payloads = [bytes([n]) * 300_000 for n in range(15)]
    threads = [threading.Thread(target=write_atomic, args=(str(path), p)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert path.read_bytes() in payloads and leftovers(tmp_path) == []


WRITER = """
import resource, signal, sys
from symbp.cli.main import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
sys.exit(main(sys.argv[1:]))
"""


def test_a_full_disk_leaves_the_old_file_and_one_sentence(tmp_path):
    # RLIMIT_FSIZE makes a write fail as a full disk does (EFBIG, like ENOSPC)
    path = tmp_path / "graph.txt"
    path.write_text("old\n")
    done = subprocess.run([sys.executable, "-c", WRITER, *GRAPH, "-o", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"cannot write {path}:")
    assert len(done.stderr.strip().splitlines()) == 1
    assert path.read_text() == "old\n" and leftovers(tmp_path) == []


KILLED = """
import sys
from symbp.cli.files import write_atomic
for n in range(1000):
    write_atomic(sys.argv[1], bytes([n % 250 + 1]) * 20_000_000)
"""


def test_kill_9_mid_write_leaves_a_whole_file(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"\0" * 10)
    for delay in (0.3, 0.45, 0.6):
        writer = subprocess.Popen([sys.executable, "-c", KILLED, str(path)])
        time.sleep(delay)
        writer.kill()
        writer.wait(timeout=30)
        content = path.read_bytes()
        # the old file or one whole new one, never a part
        assert content == b"\0" * 10 or (len(content) == 20_000_000
                                         and content == content[:1] * len(content))
        for stale in leftovers(tmp_path):     # kill -9 alone may leave a temporary
            os.unlink(tmp_path / stale)


def test_o_dev_stdout_redirected_to_a_file_writes_into_it(tmp_path):
    path = tmp_path / "captured.txt"
    with open(path, "w") as stdout:
        done = subprocess.run([sys.executable, "-m", "symbp", *GRAPH, "-o", "/dev/stdout"],
                              stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                              check=False)
    assert done.returncode == 0, done.stderr
    assert "f = 6" in path.read_text()


def test_standard_output_on_a_full_device_is_one_sentence():
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "symbp", *GRAPH], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr == "cannot write the output: No space left on device.\n"


def test_write_atomic_refuses_with_library_words(tmp_path):
    with pytest.raises(UsageError, match="is a directory"):
        write_atomic(str(tmp_path), "x")



def test_a_reader_that_goes_away_ends_the_run_quietly():
    # symbp ... | head -1: the rest of the report has nowhere to go, as with cat
    done = subprocess.run(f"{sys.executable} -m symbp verify examples/seeds.toml | head -1",
                          shell=True, capture_output=True, text=True, timeout=300, check=False,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.stdout.strip() and done.stderr == ""
