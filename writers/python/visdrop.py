"""A writer for visdrop's drop folder, with the standard library only (numpy optional).

Mirrors mmengine's ``LocalVisBackend``: open a :class:`Run`, then ``add_scalar``,
``add_scalars``, ``add_image`` and ``add_config``. Every file is written under a dotfile name
and renamed into place, so the agent never sees half a file; scalar and temporary names carry
the process id, the thread id, a counter and a random number, so processes and threads never
collide. A ``Run`` is safe to use from several threads.

    import visdrop
    run = visdrop.Run("drop", "run1")
    run.add_scalar("loss", 0.25, step=100)
    run.add_scalars({"acc": 0.9, "epoch": 3}, step=100, file_path="val.json")
    run.add_image("sample", image, step=100)   # numpy array, torch tensor, or buffer + shape
    run.add_config({"model": {"type": "ResNet"}, "lr": 0.02})

Values are written with Python's json (ints stay ints, floats floats, NaN/Infinity as tokens);
numpy scalars and 0-d tensors become Python numbers through ``.item()``, arrays lists.
File-system failures raise ``OSError`` (``FileNotFoundError`` for a missing drop folder) naming
the path; bad arguments raise ``ValueError`` or ``TypeError``.
"""

import itertools
import json
import os
import threading

__all__ = ["Run", "open_run"]

_COUNTER = itertools.count()
_COUNTER_LOCK = threading.Lock()
_PROCESS_RANDOM = os.urandom(4).hex()

# dtype name -> (NPY descr, memoryview format codes, item size)
_DTYPES = {
    "uint8": ("|u1", ("B", "c"), 1),
    "bool": ("|b1", ("?",), 1),
    "uint16": ("<u2" if __import__("sys").byteorder == "little" else ">u2", ("H",), 2),
    "float32": ("<f4" if __import__("sys").byteorder == "little" else ">f4", ("f",), 4),
}
# With numpy, float16 and float64 arrays are filed as they are too (the agent reads them).
_NUMPY_DTYPES = {"uint8", "uint16", "float16", "float32", "float64", "bool"}


def _unique_name():
    """"<pid>-<thread>-<counter>-<random>": unique per process, thread and call."""
    with _COUNTER_LOCK:
        count = next(_COUNTER)
    return f"{os.getpid()}-{threading.get_native_id()}-{count}-{_PROCESS_RANDOM}"


def _is_plain_name(name):
    """A name the agent files: not empty, no '/', not a dotfile, not work in progress."""
    return (isinstance(name, str) and name != "" and not name.startswith(".") and "/" not in name
            and "\0" not in name and not name.endswith(("~", ".tmp", ".part")))


def _plain(value):
    """json's fallback: numpy scalars and 0-d tensors via .item(), arrays via .tolist()."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"visdrop: cannot write a {type(value).__name__} as JSON")


def _dumps(value):
    return json.dumps(value, default=_plain)


class Run:
    """An open run: the folder DROP/<run_path>, which the agent files into OUT/<run_path>.

    Opens the run ``run_path`` ("" for the drop folder itself, "a/b" nested) inside the existing
    folder ``drop_dir``, creating the run's folders (never ``drop_dir`` itself).
    """

    def __init__(self, drop_dir, run_path=""):
        drop_dir = os.fspath(drop_dir)
        if not os.path.exists(drop_dir):
            raise FileNotFoundError(2, "visdrop: the drop folder does not exist", drop_dir)
        if not os.path.isdir(drop_dir):
            raise NotADirectoryError(20, "visdrop: the drop folder is not a folder", drop_dir)
        run_path = os.fspath(run_path)
        if run_path.startswith("/"):
            raise ValueError(f"visdrop: run path {run_path} must be relative to the drop folder")
        directory = drop_dir
        for component in run_path.split("/") if run_path else []:
            if not _is_plain_name(component):
                raise ValueError(f"visdrop: run path {run_path}: each part must be a plain name "
                                 "(not empty, not starting with '.', not ending in .tmp, .part or ~)")
            directory = os.path.join(directory, component)
            try:
                os.mkdir(directory, 0o755)
            except FileExistsError:
                if not os.path.isdir(directory):
                    raise NotADirectoryError(20, "visdrop: the run folder is not a folder", directory) from None
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(13, "visdrop: the run folder is not writable", directory)
        self.directory = directory
        """The run's folder in the drop tree."""

    def add_scalars(self, scalar_dict, step=0, file_path=None):
        """mmengine's add_scalars: appends the record, with "step": step added last unless it has
        a "step", to scalars.json and, with ``file_path``, to that file (a name ending in .json,
        not scalars.json) in the run's output folder."""
        name = "scalars-" + _unique_name()
        if file_path is not None:
            if (not _is_plain_name(file_path) or not file_path.endswith(".json") or len(file_path) < 6
                    or file_path in ("scalars.json", "config.json") or "@" in file_path):
                raise ValueError(f"visdrop: file_path {file_path} must be a plain file name ending in .json "
                                 "(not scalars.json or config.json, no '/' or '@')")
            name += "@" + file_path
        else:
            name += ".json"
        record = dict(scalar_dict)
        record.setdefault("step", step)
        self._drop(name, [(_dumps(record) + "\n").encode()])

    def add_scalar(self, name, value, step=0):
        """mmengine's add_scalar: {name: value, "step": step}."""
        self.add_scalars({name: value}, step)

    def add_image(self, name, image, step=0, *, shape=None, dtype=None):
        """mmengine's add_image: files ``image`` as vis_image/<name>_<step>.png.

        ``image`` is anything with ``__array__`` (numpy arrays, CPU torch tensors; needs numpy) in
        uint8, uint16 (a 16-bit PNG), float16/32/64 (clamped to [0, 1], x255, rounded half up) or
        bool (0/255); or, without numpy, a buffer (bytes, array.array, memoryview) with ``shape``
        and, unless its format says it, ``dtype`` ("uint8", "uint16", "float32", "bool").
        Shapes: (H, W) gray, (H, W, C) or channel-first (C, H, W) with C = 1, 3 or 4 (gray, RGB,
        RGBA); a 3-D shape whose last size is 1, 3 or 4 is read as (H, W, C).
        """
        if not _is_plain_name(name) or len(name) > 200:
            raise ValueError(f"visdrop: image name {name!r} must be a plain file name (no '/', not starting with '.')")
        if not isinstance(step, int) or step < 0:
            raise ValueError(f"visdrop: image {name}: step {step!r} is not an integer >= 0")
        if hasattr(image, "detach") and hasattr(image, "cpu"):  # a torch tensor, maybe on a GPU
            image = image.detach().cpu()
        if hasattr(image, "__array__"):
            try:
                import numpy as np
            except ImportError:
                raise TypeError("visdrop: an object with __array__ needs numpy; pass a buffer with shape and dtype") from None
            array = np.asarray(image)
            if shape is not None:
                array = array.reshape(shape)
            if array.dtype.name not in _NUMPY_DTYPES:
                raise ValueError(f"visdrop: image {name}: dtype {array.dtype} (wanted one of {sorted(_NUMPY_DTYPES)})")
            array = np.ascontiguousarray(array)
            descr, shape, data = array.dtype.str, tuple(array.shape), array.tobytes()
        else:
            view = memoryview(image)
            if dtype is None:
                dtype = next((k for k, (_, codes, _) in _DTYPES.items() if view.format in codes), None)
            if dtype not in _DTYPES:
                raise ValueError(f"visdrop: image {name}: dtype {dtype!r} (wanted one of {sorted(_DTYPES)})")
            if shape is None:
                shape = view.shape
            descr, _, item = _DTYPES[dtype]
            data = view.cast("B").tobytes() if view.ndim else bytes(view)
            count = 1
            for size in shape:
                count *= size
            if len(data) != count * item:
                raise ValueError(f"visdrop: image {name}: {len(data)} bytes given, shape {tuple(shape)} needs {count * item}")
            shape = tuple(shape)
        _check_shape(name, shape)
        shape_text = "(" + ", ".join(str(int(size)) for size in shape) + ("," if len(shape) == 1 else "") + ")"
        # NPY 1.0: magic, version, header length (little-endian), dict padded to 64 with spaces + \n.
        header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}"
        padded = (10 + len(header) + 1 + 63) // 64 * 64
        prefix = b"\x93NUMPY\x01\x00" + (padded - 10).to_bytes(2, "little")
        header_bytes = prefix + header.encode("latin-1") + b" " * (padded - 11 - len(header)) + b"\n"
        self._drop(f"{name}_{step}.npy", [header_bytes, data])

    def add_config(self, config):
        """mmengine's add_config from a mapping (or anything with ``to_dict()``, like mmengine's
        Config): dropped as config.json."""
        if hasattr(config, "to_dict"):
            config = config.to_dict()
        self._drop("config.json", [(_dumps(dict(config)) + "\n").encode()])

    def add_config_json(self, json_text):
        """add_config from JSON text (one object), dropped as config.json as it is."""
        self._drop("config.json", [json_text.encode()])

    def add_config_yaml(self, yaml_text):
        """add_config from YAML text, dropped as config.yaml as it is."""
        self._drop("config.yaml", [yaml_text.encode()])

    def _drop(self, name, parts):
        """Writes the parts under a unique dotfile name in the run folder, then renames it to name."""
        temporary = os.path.join(self.directory, f".visdrop-{_unique_name()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            try:
                for part in parts:
                    view = memoryview(part)
                    while view:
                        view = view[os.write(descriptor, view):]
            finally:
                os.close(descriptor)
            os.rename(temporary, os.path.join(self.directory, name))
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise


def _check_shape(name, shape):
    if len(shape) not in (2, 3):
        raise ValueError(f"visdrop: image {name}: shape {shape} has {len(shape)} dimensions (2 or 3 wanted)")
    if any(size < 1 for size in shape):
        raise ValueError(f"visdrop: image {name}: shape {shape} has a size below 1")
    if len(shape) == 3 and shape[2] not in (1, 3, 4) and shape[0] not in (1, 3, 4):
        raise ValueError(f"visdrop: image {name}: shape {shape} has no channel size 1, 3 or 4 first or last")


def open_run(drop_dir, run_path=""):
    """Opens a run: the same as ``Run(drop_dir, run_path)``."""
    return Run(drop_dir, run_path)
