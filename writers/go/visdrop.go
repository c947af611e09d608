// Package visdrop writes into visdrop's drop folder, with the standard library only.
//
// It mirrors mmengine's LocalVisBackend: Open a Run, then AddScalar, AddScalars, AddImage and
// AddConfig. Every file is written under a dotfile name and renamed into place, so the agent
// never sees half a file; scalar and temporary names carry the process id, a process-wide
// counter and a random number, so processes and goroutines never collide. A *Run is safe to
// use from several goroutines.
//
//	run, err := visdrop.Open("drop", "run1")
//	err = run.AddScalar("loss", 0.25, 100)
//	err = run.AddScalars(visdrop.Record{{"acc", 0.9}, {"epoch", 3}}, 100, "") // 3 stays an integer
//	err = run.AddImage("sample", pixels /* []uint8 */, []int{64, 64, 3}, 100)
//
// Values keep integers and floats apart as Python's json does: Go integer types (and *big.Int)
// become integers, float32/float64 floats (NaN, Infinity and -Infinity included), json.Number
// is written as it is spelled. Records keep their order; a map's keys are written sorted.
package visdrop

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Field is one key and value of a Record.
type Field struct {
	Key   string
	Value any
}

// Record is a JSON object whose keys keep their order (keys must be unique): a scalar record
// or a config.
type Record []Field

// Run is an open run: the folder DROP/<run path>, which the agent files into OUT/<run path>.
type Run struct {
	directory string
}

// Error says what failed and where; Err is the underlying error (an *os.PathError for
// file-system failures), nil for a bad argument.
type Error struct {
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "visdrop: " + e.Message + ": " + e.Err.Error()
	}
	return "visdrop: " + e.Message
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func argumentError(format string, arguments ...any) error {
	return &Error{Message: fmt.Sprintf(format, arguments...)}
}

var (
	counter       atomic.Uint64
	processRandom = func() uint32 {
		var bytes [4]byte
		if _, err := rand.Read(bytes[:]); err != nil {
			return uint32(os.Getpid()) * 2654435761
		}
		return binary.LittleEndian.Uint32(bytes[:])
	}()
)

// uniqueName is "<pid>-<counter>-<random>": the counter is shared by all goroutines.
func uniqueName() string {
	return fmt.Sprintf("%d-%d-%08x", os.Getpid(), counter.Add(1)-1, processRandom)
}

// isPlainName reports whether the agent files a file or folder of this name.
func isPlainName(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, "/\x00") &&
		!strings.HasSuffix(name, "~") && !strings.HasSuffix(name, ".tmp") && !strings.HasSuffix(name, ".part")
}

// Open opens the run runPath ("" for the drop folder itself, "a/b" nested) inside the existing
// folder dropDir, creating the run's folders (never dropDir itself).
func Open(dropDir, runPath string) (*Run, error) {
	info, err := os.Stat(dropDir)
	if err != nil {
		return nil, &Error{Message: "drop folder " + dropDir, Err: err}
	}
	if !info.IsDir() {
		return nil, argumentError("drop folder %s is not a folder", dropDir)
	}
	if strings.HasPrefix(runPath, "/") {
		return nil, argumentError("run path %s must be relative to the drop folder", runPath)
	}
	directory := dropDir
	if runPath != "" {
		for _, component := range strings.Split(runPath, "/") {
			if !isPlainName(component) {
				return nil, argumentError("run path %s: each part must be a plain name (not empty, not starting with '.', not ending in .tmp, .part or ~)", runPath)
			}
			directory = filepath.Join(directory, component)
			if err := os.Mkdir(directory, 0o755); err != nil && !os.IsExist(err) {
				return nil, &Error{Message: "cannot create run folder " + directory, Err: err}
			}
		}
	}
	if info, err := os.Stat(directory); err != nil || !info.IsDir() {
		return nil, &Error{Message: "run folder " + directory + " is not a folder", Err: err}
	}
	return &Run{directory: directory}, nil
}

// Directory is the run's folder in the drop tree.
func (r *Run) Directory() string { return r.directory }

// AddScalars is mmengine's add_scalars: it appends the record, with "step": step added last
// unless it has a "step", to scalars.json and, when filePath is not "", to filePath (a name
// ending in .json, not scalars.json) in the run's output folder.
func (r *Run) AddScalars(record Record, step int64, filePath string) error {
	name := "scalars-" + uniqueName()
	if filePath != "" {
		if !strings.HasSuffix(filePath, ".json") || len(filePath) < 6 || filePath == "scalars.json" ||
			filePath == "config.json" || !isPlainName(filePath) || strings.Contains(filePath, "@") {
			return argumentError("file_path %s must be a plain file name ending in .json (not scalars.json or config.json, no '/' or '@')", filePath)
		}
		name += "@" + filePath
	} else {
		name += ".json"
	}
	hasStep := false
	for _, field := range record {
		hasStep = hasStep || field.Key == "step"
	}
	if !hasStep {
		record = append(record[:len(record):len(record)], Field{"step", step})
	}
	var text strings.Builder
	if err := writeValue(&text, record, 0); err != nil {
		return err
	}
	text.WriteByte('\n')
	return r.drop(name, []byte(text.String()))
}

// AddScalar is mmengine's add_scalar: {name: value, "step": step}; an integer stays an integer.
func (r *Run) AddScalar(name string, value any, step int64) error {
	return r.AddScalars(Record{{name, value}}, step, "")
}

// AddImage is mmengine's add_image: it files data ([]uint8, []uint16 for a 16-bit PNG, []float32
// clamped to [0, 1], x255 and rounded half up, or []bool as 0/255; C order) as
// vis_image/<name>_<step>.png. shape: (H, W) gray, (H, W, C) or channel-first (C, H, W) with
// C = 1, 3 or 4 (gray, RGB, RGBA); a 3-D shape whose last size is 1, 3 or 4 is read as (H, W, C).
func (r *Run) AddImage(name string, data any, shape []int, step int64) error {
	if !isPlainName(name) || len(name) > 200 {
		return argumentError("image name '%s' must be a plain file name (no '/', not starting with '.')", name)
	}
	if step < 0 {
		return argumentError("image %s: step %d is negative", name, step)
	}
	parts := make([]string, len(shape))
	count := 1
	for i, size := range shape {
		parts[i] = strconv.Itoa(size)
		count *= size
	}
	shapeText := "(" + strings.Join(parts, ", ") + ")"
	if len(shape) != 2 && len(shape) != 3 {
		return argumentError("image %s: shape %s has %d dimensions (2 or 3 wanted)", name, shapeText, len(shape))
	}
	for _, size := range shape {
		if size <= 0 {
			return argumentError("image %s: shape %s has a size below 1", name, shapeText)
		}
	}
	isChannels := func(n int) bool { return n == 1 || n == 3 || n == 4 }
	if len(shape) == 3 && !isChannels(shape[2]) && !isChannels(shape[0]) {
		return argumentError("image %s: shape %s has no channel size 1, 3 or 4 first or last", name, shapeText)
	}
	var descr string
	var samples []byte
	length := 0
	switch values := data.(type) {
	case []uint8:
		descr, length, samples = "|u1", len(values), values
	case []bool:
		descr, length, samples = "|b1", len(values), make([]byte, len(values))
		for i, v := range values {
			if v {
				samples[i] = 1
			}
		}
	case []uint16:
		descr, length, samples = "<u2", len(values), make([]byte, 2*len(values))
		for i, v := range values {
			binary.LittleEndian.PutUint16(samples[2*i:], v)
		}
	case []float32:
		descr, length, samples = "<f4", len(values), make([]byte, 4*len(values))
		for i, v := range values {
			binary.LittleEndian.PutUint32(samples[4*i:], math.Float32bits(v))
		}
	default:
		return argumentError("image %s: data is %T; []uint8, []uint16, []float32 or []bool wanted", name, data)
	}
	if length != count {
		return argumentError("image %s: %d elements given, shape %s needs %d", name, length, shapeText, count)
	}
	// NPY 1.0: magic, version, header length (little-endian), dict padded to 64 with spaces + \n.
	dict := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }"
	padded := (10 + len(dict) + 1 + 63) / 64 * 64
	file := make([]byte, 0, padded+len(samples))
	file = append(file, "\x93NUMPY\x01\x00"...)
	file = binary.LittleEndian.AppendUint16(file, uint16(padded-10))
	file = append(file, dict...)
	for len(file) < padded-1 {
		file = append(file, ' ')
	}
	file = append(file, '\n')
	file = append(file, samples...)
	return r.drop(fmt.Sprintf("%s_%d.npy", name, step), file)
}

// AddConfig is mmengine's add_config from a record: dropped as config.json.
func (r *Run) AddConfig(config Record) error {
	var text strings.Builder
	if err := writeValue(&text, config, 0); err != nil {
		return err
	}
	text.WriteByte('\n')
	return r.drop("config.json", []byte(text.String()))
}

// AddConfigJSON is add_config from JSON text (one object), dropped as config.json as it is.
func (r *Run) AddConfigJSON(jsonText string) error { return r.drop("config.json", []byte(jsonText)) }

// AddConfigYAML is add_config from YAML text, dropped as config.yaml as it is.
func (r *Run) AddConfigYAML(yamlText string) error { return r.drop("config.yaml", []byte(yamlText)) }

// drop writes contents under a unique dotfile name in the run folder, then renames it to name.
func (r *Run) drop(name string, contents []byte) error {
	temporary := filepath.Join(r.directory, ".visdrop-"+uniqueName()+".tmp")
	final := filepath.Join(r.directory, name)
	file, err := os.OpenFile(temporary, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return &Error{Message: "cannot create " + temporary, Err: err}
	}
	_, err = file.Write(contents)
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(temporary)
		return &Error{Message: "cannot write " + temporary, Err: err}
	}
	if err := os.Rename(temporary, final); err != nil {
		os.Remove(temporary)
		return &Error{Message: "cannot rename " + temporary + " to " + final, Err: err}
	}
	return nil
}

// floatText is f as JSON text: the shortest that reads back to the same float64, always with
// '.' or an exponent.
func floatText(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	text := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(text, ".e") {
		text += ".0"
	}
	return text
}

func writeString(out *strings.Builder, s string) error {
	if !utf8.ValidString(s) {
		return argumentError("string is not valid UTF-8: %q", s)
	}
	out.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			out.WriteByte('\\')
			out.WriteRune(c)
		case c < 0x20:
			fmt.Fprintf(out, "\\u%04x", c)
		default:
			out.WriteRune(c)
		}
	}
	out.WriteByte('"')
	return nil
}

func writeValue(out *strings.Builder, value any, depth int) error {
	if depth > 500 {
		return argumentError("values nest more than 500 deep")
	}
	switch v := value.(type) {
	case nil:
		out.WriteString("null")
	case bool:
		out.WriteString(strconv.FormatBool(v))
	case int:
		out.WriteString(strconv.FormatInt(int64(v), 10))
	case int8:
		out.WriteString(strconv.FormatInt(int64(v), 10))
	case int16:
		out.WriteString(strconv.FormatInt(int64(v), 10))
	case int32:
		out.WriteString(strconv.FormatInt(int64(v), 10))
	case int64:
		out.WriteString(strconv.FormatInt(v, 10))
	case uint:
		out.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint8:
		out.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint16:
		out.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint32:
		out.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint64:
		out.WriteString(strconv.FormatUint(v, 10))
	case *big.Int:
		out.WriteString(v.String())
	case big.Int:
		out.WriteString(v.String())
	case float32:
		out.WriteString(floatText(float64(v)))
	case float64:
		out.WriteString(floatText(v))
	case json.Number:
		if !json.Valid([]byte(v)) {
			return argumentError("json.Number %q is not a JSON number", string(v))
		}
		out.WriteString(string(v))
	case string:
		return writeString(out, v)
	case Record:
		out.WriteByte('{')
		for i, field := range v {
			if i > 0 {
				out.WriteString(", ")
			}
			if err := writeString(out, field.Key); err != nil {
				return err
			}
			out.WriteString(": ")
			if err := writeValue(out, field.Value, depth+1); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	default:
		return writeReflected(out, reflect.ValueOf(value), depth)
	}
	return nil
}

// writeReflected writes slices and arrays as arrays, maps with string keys as objects (keys
// sorted), named basic types as their kind, and follows pointers.
func writeReflected(out *strings.Builder, v reflect.Value, depth int) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			out.WriteString("null")
			return nil
		}
		return writeValue(out, v.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		out.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				out.WriteString(", ")
			}
			if err := writeValue(out, v.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
		out.WriteByte(']')
		return nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return argumentError("map keys must be strings, not %s", v.Type().Key())
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		record := make(Record, len(keys))
		for i, key := range keys {
			record[i] = Field{key.String(), v.MapIndex(key).Interface()}
		}
		return writeValue(out, record, depth+1)
	case reflect.Bool:
		out.WriteString(strconv.FormatBool(v.Bool()))
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		out.WriteString(strconv.FormatInt(v.Int(), 10))
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		out.WriteString(strconv.FormatUint(v.Uint(), 10))
		return nil
	case reflect.Float32, reflect.Float64:
		out.WriteString(floatText(v.Float()))
		return nil
	case reflect.String:
		return writeString(out, v.String())
	}
	return argumentError("cannot write a %s as JSON", v.Type())
}
