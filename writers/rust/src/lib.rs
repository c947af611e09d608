//! A writer for visdrop's drop folder, with the standard library only.
//!
//! Mirrors mmengine's `LocalVisBackend`: open a [`Run`], then [`Run::add_scalar`],
//! [`Run::add_scalars`], [`Run::add_image`] and [`Run::add_config`]. Every file is written
//! under a dotfile name and renamed into place, so the agent never sees half a file; scalar
//! and temporary names carry the process id, the thread, a counter and a random number, so
//! processes and threads never collide. A `Run` is `Send + Sync`: share it between threads.
//!
//! ```no_run
//! use visdrop::{record, Run};
//! let run = Run::open("drop", "run1")?;
//! run.add_scalar("loss", 0.25, 100)?;
//! run.add_scalars(&record! {"acc" => 0.9, "epoch" => 3}, 100, None)?; // 3 stays an integer
//! run.add_image("sample", &vec![0u8; 64 * 64 * 3], &[64, 64, 3], 100)?;
//! # Ok::<(), visdrop::Error>(())
//! ```

use std::collections::hash_map::RandomState;
use std::fmt;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A JSON value that keeps integers and floats apart, as Python's json does: Rust integer
/// types become integers, `f32`/`f64` floats (NaN, Infinity and -Infinity included).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    /// An integer beyond 128 bits, as its decimal digits (checked when written).
    BigInt(String),
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    /// Keys in insertion order (keys must be unique).
    Object(Record),
}

/// A scalar record or a config: keys in insertion order. Build one with [`record!`].
pub type Record = Vec<(String, Value)>;

/// Builds a [`Record`]: `record! {"loss" => 0.5, "epoch" => 3, "nested" => record! {"x" => 1}}`.
#[macro_export]
macro_rules! record {
    ($($key:expr => $value:expr),* $(,)?) => {
        vec![$((::std::string::String::from($key), $crate::Value::from($value))),*] as $crate::Record
    };
}

/// Builds a `Value::Array`: `array![1, 2.0, "s", Value::Null]`.
#[macro_export]
macro_rules! array {
    ($($value:expr),* $(,)?) => { $crate::Value::Array(vec![$($crate::Value::from($value)),*]) };
}

macro_rules! integer_from {
    ($($t:ty),*) => { $(impl From<$t> for Value { fn from(v: $t) -> Self { Value::Int(v as i128) } })* };
}
integer_from!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, usize);

impl From<f64> for Value {
    fn from(v: f64) -> Self { Value::Float(v) }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self { Value::Float(v as f64) }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self { Value::Bool(v) }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self { Value::Str(v.to_string()) }
}
impl From<String> for Value {
    fn from(v: String) -> Self { Value::Str(v) }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self { Value::Array(v) }
}
impl From<Record> for Value {
    fn from(v: Record) -> Self { Value::Object(v) }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self { v.map_or(Value::Null, Into::into) }
}

impl Value {
    /// Appends this value as JSON text (Python's `json.dumps` separators).
    pub fn write_json(&self, out: &mut String) -> Result<(), Error> {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::BigInt(digits) => {
                let body = digits.strip_prefix('-').unwrap_or(digits);
                if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) || (body.len() > 1 && body.starts_with('0')) {
                    return Err(Error::argument(format!("BigInt {digits:?} is not an integer's decimal digits")));
                }
                out.push_str(digits);
            }
            Value::Float(f) => out.push_str(&float_text(*f)),
            Value::Str(s) => write_string(out, s),
            Value::Array(values) => {
                out.push('[');
                for (index, value) in values.iter().enumerate() {
                    if index > 0 { out.push_str(", "); }
                    value.write_json(out)?;
                }
                out.push(']');
            }
            Value::Object(fields) => write_object(out, fields.iter().map(|(k, v)| (k.as_str(), v)))?,
        }
        Ok(())
    }
}

/// A float as JSON text: the shortest that reads back to the same f64, always with '.' or an exponent.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let mut text = format!("{f:?}");
    if !text.contains(['.', 'e']) {
        text.push_str(".0");
    }
    text
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_object<'a>(out: &mut String, fields: impl Iterator<Item = (&'a str, &'a Value)>) -> Result<(), Error> {
    out.push('{');
    for (index, (key, value)) in fields.enumerate() {
        if index > 0 { out.push_str(", "); }
        write_string(out, key);
        out.push_str(": ");
        value.write_json(out)?;
    }
    out.push('}');
    Ok(())
}

/// What failed and where: a file-system error (with its [`io::Error`]) or a bad argument.
#[derive(Debug)]
pub struct Error {
    message: String,
    source: Option<io::Error>,
}

impl Error {
    fn argument(message: String) -> Error { Error { message: format!("visdrop: {message}"), source: None } }
    fn io(what: String, source: io::Error) -> Error { Error { message: format!("visdrop: {what}: {source}"), source: Some(source) } }
    /// The underlying I/O error, if a file-system call failed.
    pub fn io_error(&self) -> Option<&io::Error> { self.source.as_ref() }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.message) }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Element types an image may have: `u8`, `u16` (a 16-bit PNG), `f32` (clamped to [0, 1], x255,
/// rounded half up) and `bool` (0 or 255).
pub trait Element: Copy {
    /// The NPY dtype, in native byte order.
    const DESCR: &'static str;
    /// Appends the samples' bytes in native byte order.
    fn extend_bytes(data: &[Self], out: &mut Vec<u8>);
}

const LITTLE: bool = cfg!(target_endian = "little");

impl Element for u8 {
    const DESCR: &'static str = "|u1";
    fn extend_bytes(data: &[Self], out: &mut Vec<u8>) { out.extend_from_slice(data) }
}
impl Element for bool {
    const DESCR: &'static str = "|b1";
    fn extend_bytes(data: &[Self], out: &mut Vec<u8>) { out.extend(data.iter().map(|&b| b as u8)) }
}
impl Element for u16 {
    const DESCR: &'static str = if LITTLE { "<u2" } else { ">u2" };
    fn extend_bytes(data: &[Self], out: &mut Vec<u8>) { data.iter().for_each(|v| out.extend_from_slice(&v.to_ne_bytes())) }
}
impl Element for f32 {
    const DESCR: &'static str = if LITTLE { "<f4" } else { ">f4" };
    fn extend_bytes(data: &[Self], out: &mut Vec<u8>) { data.iter().for_each(|v| out.extend_from_slice(&v.to_ne_bytes())) }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// "<pid>-<thread>-<counter>-<random>": unique per process, thread and call.
fn unique_name() -> String {
    static RANDOM: OnceLock<u32> = OnceLock::new();
    let random = *RANDOM.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish() as u32
    });
    let thread: String = format!("{:?}", std::thread::current().id()).chars().filter(char::is_ascii_digit).collect();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{}-{}-{:08x}", std::process::id(), thread, count, random)
}

/// A name the agent files: not empty, no '/', not a dotfile, not work in progress.
fn is_plain_name(name: &str) -> bool {
    !(name.is_empty() || name.starts_with('.') || name.contains(['/', '\0']) || name.ends_with('~')
        || name.ends_with(".tmp") || name.ends_with(".part"))
}

/// An open run: the folder `DROP/<run path>`, which the agent files into `OUT/<run path>`.
#[derive(Clone, Debug)]
pub struct Run {
    directory: PathBuf,
}

impl Run {
    /// Opens the run `run_path` (`""` for the drop folder itself, `"a/b"` nested) inside the
    /// existing folder `drop_dir`, creating the run's folders (never `drop_dir` itself).
    pub fn open(drop_dir: impl AsRef<Path>, run_path: &str) -> Result<Run, Error> {
        let drop_dir = drop_dir.as_ref();
        let metadata = fs::metadata(drop_dir).map_err(|e| Error::io(format!("drop folder {}", drop_dir.display()), e))?;
        if !metadata.is_dir() {
            return Err(Error::argument(format!("drop folder {} is not a folder", drop_dir.display())));
        }
        if run_path.starts_with('/') {
            return Err(Error::argument(format!("run path {run_path} must be relative to the drop folder")));
        }
        let mut directory = drop_dir.to_path_buf();
        if !run_path.is_empty() {
            for component in run_path.split('/') {
                if !is_plain_name(component) {
                    return Err(Error::argument(format!(
                        "run path {run_path}: each part must be a plain name (not empty, not starting with '.', not ending in .tmp, .part or ~)")));
                }
                directory.push(component);
                match fs::create_dir(&directory) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                        return Err(Error::io(format!("cannot create run folder {}", directory.display()), e))
                    }
                    _ => {}
                }
            }
        }
        let metadata = fs::metadata(&directory).map_err(|e| Error::io(format!("run folder {}", directory.display()), e))?;
        if !metadata.is_dir() {
            return Err(Error::argument(format!("run folder {} is not a folder", directory.display())));
        }
        Ok(Run { directory })
    }

    /// The run's folder in the drop tree.
    pub fn directory(&self) -> &Path { &self.directory }

    /// mmengine's `add_scalars`: appends the record, with `"step": step` added last unless it has
    /// a `"step"`, to scalars.json and, with `file_path`, to that file (a name ending in .json,
    /// not scalars.json) in the run's output folder.
    pub fn add_scalars(&self, record: &[(String, Value)], step: i64, file_path: Option<&str>) -> Result<(), Error> {
        let mut name = format!("scalars-{}", unique_name());
        match file_path {
            Some(target) => {
                if !target.ends_with(".json") || target.len() < 6 || target == "scalars.json" || target == "config.json"
                    || !is_plain_name(target) || target.contains('@')
                {
                    return Err(Error::argument(format!(
                        "file_path {target} must be a plain file name ending in .json (not scalars.json or config.json, no '/' or '@')")));
                }
                name.push('@');
                name.push_str(target);
            }
            None => name.push_str(".json"),
        }
        let step_value = Value::Int(step as i128);
        let has_step = record.iter().any(|(key, _)| key == "step");
        let mut text = String::new();
        let fields = record.iter().map(|(k, v)| (k.as_str(), v));
        if has_step {
            write_object(&mut text, fields)?;
        } else {
            write_object(&mut text, fields.chain(std::iter::once(("step", &step_value))))?;
        }
        text.push('\n');
        self.drop_file(&name, &[text.as_bytes()])
    }

    /// mmengine's `add_scalar`: `{name: value, "step": step}`; an integer value stays an integer.
    pub fn add_scalar(&self, name: &str, value: impl Into<Value>, step: i64) -> Result<(), Error> {
        self.add_scalars(&[(name.to_string(), value.into())], step, None)
    }

    /// mmengine's `add_image`: files `data` (C order) as `vis_image/<name>_<step>.png`. `shape`:
    /// `[H, W]` gray, `[H, W, C]` or channel-first `[C, H, W]` with C = 1, 3 or 4 (gray, RGB,
    /// RGBA); a 3-D shape whose last size is 1, 3 or 4 is read as `[H, W, C]`.
    pub fn add_image<T: Element>(&self, name: &str, data: &[T], shape: &[usize], step: u64) -> Result<(), Error> {
        if !is_plain_name(name) || name.len() > 200 {
            return Err(Error::argument(format!("image name '{name}' must be a plain file name (no '/', not starting with '.')")));
        }
        let shape_text = format!("({})", shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", "));
        if shape.len() != 2 && shape.len() != 3 {
            return Err(Error::argument(format!("image {name}: shape {shape_text} has {} dimensions (2 or 3 wanted)", shape.len())));
        }
        if shape.contains(&0) {
            return Err(Error::argument(format!("image {name}: shape {shape_text} has a size of 0")));
        }
        let channels = |n: usize| matches!(n, 1 | 3 | 4);
        if shape.len() == 3 && !channels(shape[2]) && !channels(shape[0]) {
            return Err(Error::argument(format!("image {name}: shape {shape_text} has no channel size 1, 3 or 4 first or last")));
        }
        let count: usize = shape.iter().product();
        if count != data.len() {
            return Err(Error::argument(format!("image {name}: {} elements given, shape {shape_text} needs {count}", data.len())));
        }
        // NPY 1.0: magic, version, header length (little-endian), dict padded to 64 with spaces + \n.
        let dict = format!("{{'descr': '{}', 'fortran_order': False, 'shape': {shape_text}, }}", T::DESCR);
        let padded = (10 + dict.len() + 1 + 63) / 64 * 64;
        let mut bytes = Vec::with_capacity(padded + count * std::mem::size_of::<T>());
        bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
        bytes.extend_from_slice(&((padded - 10) as u16).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes.resize(padded - 1, b' ');
        bytes.push(b'\n');
        T::extend_bytes(data, &mut bytes);
        self.drop_file(&format!("{name}_{step}.npy"), &[&bytes])
    }

    /// mmengine's `add_config` from a record: dropped as config.json.
    pub fn add_config(&self, config: &[(String, Value)]) -> Result<(), Error> {
        let mut text = String::new();
        write_object(&mut text, config.iter().map(|(k, v)| (k.as_str(), v)))?;
        text.push('\n');
        self.drop_file("config.json", &[text.as_bytes()])
    }

    /// `add_config` from JSON text (one object), dropped as config.json as it is.
    pub fn add_config_json(&self, json_text: &str) -> Result<(), Error> {
        self.drop_file("config.json", &[json_text.as_bytes()])
    }

    /// `add_config` from YAML text, dropped as config.yaml as it is.
    pub fn add_config_yaml(&self, yaml_text: &str) -> Result<(), Error> {
        self.drop_file("config.yaml", &[yaml_text.as_bytes()])
    }

    /// Writes the parts under a unique dotfile name in the run folder, then renames it to `name`.
    fn drop_file(&self, name: &str, parts: &[&[u8]]) -> Result<(), Error> {
        let temporary = self.directory.join(format!(".visdrop-{}.tmp", unique_name()));
        let final_path = self.directory.join(name);
        let mut file = fs::OpenOptions::new().write(true).create_new(true).open(&temporary)
            .map_err(|e| Error::io(format!("cannot create {}", temporary.display()), e))?;
        let written = parts.iter().try_for_each(|part| file.write_all(part));
        drop(file);
        let result = written.map_err(|e| Error::io(format!("cannot write {}", temporary.display()), e)).and_then(|()| {
            fs::rename(&temporary, &final_path)
                .map_err(|e| Error::io(format!("cannot rename {} to {}", temporary.display(), final_path.display()), e))
        });
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }
}
