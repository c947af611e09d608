// The harness's scripted sequence for the Go writer (writers/tests/run_writer_tests.py).
// Modes: sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES
package main

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"sync"
	"time"

	visdrop "visdrop/writers/go"
)

type R = visdrop.Record
type F = visdrop.Field

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func sequence(drop, runName string) {
	run, err := visdrop.Open(drop, runName)
	must(err)
	must(run.AddConfig(R{
		{"model", R{{"type", "ResNet"}, {"depth", 50}, {"norm_cfg", R{{"type", "BN"}, {"eps", 1e-05}, {"requires_grad", true}}}}},
		{"optimizer", R{{"lr", 0.02}, {"momentum", 0.9}, {"weight_decay", 0.0001}}},
		{"max_epochs", 12},
		{"scale", 1.0},
		{"flags", []any{true, false, nil}},
		{"name", "run α"},
	}))
	must(run.AddScalar("loss", 0.5, 1))
	must(run.AddScalar("count", 1, 2))
	must(run.AddScalar("ratio", 1.0, 3))
	must(run.AddScalar("nan", math.NaN(), 4))
	must(run.AddScalar("inf", math.Inf(1), 5))
	must(run.AddScalar("ninf", math.Inf(-1), 6))
	must(run.AddScalar("small", 1e-5, 7))
	must(run.AddScalar("negzero", math.Copysign(0, -1), 8))
	must(run.AddScalar("big", 1e16, 9))
	must(run.AddScalar("tiny", 5e-324, 10))
	a, b := 0.1, 0.2
	must(run.AddScalar("third", a+b, 11))
	must(run.AddScalar("bigstep", 3, 1099511627776))
	must(run.AddScalars(R{{"train/loss", 0.25}, {"train/acc", 1}, {"lr", 0.001}}, 12, ""))
	must(run.AddScalars(R{{"a", 1.5}, {"step", 99}}, 13, ""))
	bigint, _ := new(big.Int).SetString("18446744073709551617", 10)
	huge, _ := new(big.Int).SetString("1000000000000000000000000000000", 10)
	must(run.AddScalars(R{{"bigint", bigint}, {"negbig", int64(math.MinInt64)}, {"maxu64", uint64(math.MaxUint64)}, {"huge", huge}}, 14, ""))
	must(run.AddScalars(R{
		{"nested", R{{"inner", R{{"x", 1}, {"y", 2.5}}}, {"list", []any{1, 2.0, nil, true, false, "s"}}}},
		{"text", "naïve \"q\" \\ \n\t\x01 ключ 😀"},
		{"flag", true},
		{"none", nil},
	}, 15, ""))
	must(run.AddScalars(R{{"val/acc", 0.91}, {"val/f1", 1.0}}, 16, "val.json"))
	must(run.AddScalars(R{{"val/acc", math.NaN()}, {"epoch", 2}, {"max", 1.7976931348623157e308}}, 17, "val.json"))
	must(run.AddScalar("last", -2.5e-300, 18))
	must(run.AddScalars(R{}, 19, ""))
	must(run.AddScalars(R{{"e21", 1e21}, {"em7", 1e-7}, {"f32", float32(0.1)}}, 20, ""))

	layouts := []string{"hw", "hw1", "hw3", "hw4", "c1hw", "c3hw", "c4hw"}
	shapes := [][]int{{5, 6}, {5, 6, 1}, {5, 6, 3}, {5, 6, 4}, {1, 5, 6}, {3, 5, 6}, {4, 5, 6}}
	step := int64(0)
	for _, dtype := range []string{"uint8", "uint16", "float32", "bool"} {
		for l, shape := range shapes {
			count := 1
			for _, size := range shape {
				count *= size
			}
			var data any
			switch dtype {
			case "uint8":
				v := make([]uint8, count)
				for i := range v {
					v[i] = uint8((i*37 + 11) % 256)
				}
				data = v
			case "uint16":
				v := make([]uint16, count)
				for i := range v {
					v[i] = uint16((i*4099 + 7) % 65536)
				}
				data = v
			case "float32":
				v := make([]float32, count)
				for i := range v {
					if i%13 == 5 {
						v[i] = float32(math.NaN())
					} else {
						v[i] = float32(float64((i*37)%101)/80.0 - 0.1)
					}
				}
				data = v
			default:
				v := make([]bool, count)
				for i := range v {
					v[i] = i%3 == 0 || i%7 == 1
				}
				data = v
			}
			must(run.AddImage(dtype+"_"+layouts[l], data, shape, step))
			step++
		}
	}
	yamlRun, err := visdrop.Open(drop, runName+"-yaml")
	must(err)
	must(yamlRun.AddConfigYAML("model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n"))
	jsonRun, err := visdrop.Open(drop, runName+"-jsontext")
	must(err)
	must(jsonRun.AddConfigJSON(`{"work_dir": "./work", "seed": 42, "ratio": 0.5, "list": [1, 2.5, "x"]}`))
}

func fails(check string, err error) bool {
	if err == nil {
		fmt.Printf("FAIL %s: no error reported\n", check)
		return false
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", check, err)
	return true
}

func errorChecks(scratch string) int {
	failed := 0
	report := func(check string, ok bool) {
		if ok {
			fmt.Printf("ok %s\n", check)
		} else {
			failed = 1
		}
	}
	_, err := visdrop.Open(scratch+"/missing", "r")
	ok := fails("missing_drop", err)
	if _, statErr := os.Stat(scratch + "/missing"); statErr == nil {
		fmt.Println("FAIL missing_drop: created")
		ok = false
	}
	report("missing_drop", ok)
	_, err = visdrop.Open(scratch+"/plain-file", "r")
	report("drop_is_file", fails("drop_is_file", err))
	readonly, err := visdrop.Open(scratch+"/readonly", "r")
	if err == nil {
		err = readonly.AddScalar("x", 1.0, 0)
	}
	report("readonly_drop", fails("readonly_drop", err))
	run, err := visdrop.Open(scratch+"/good", "r")
	must(err)
	record := R{{"x", 1.0}}
	report("bad_file_path", fails("bad_file_path", run.AddScalars(record, 0, "val.txt")) &&
		fails("bad_file_path", run.AddScalars(record, 0, "scalars.json")) &&
		fails("bad_file_path", run.AddScalars(record, 0, "a/b.json")))
	pixels := make([]uint8, 60)
	report("bad_image", fails("bad_image", run.AddImage("x", pixels, []int{5, 6, 2}, 0)) &&
		fails("bad_image", run.AddImage("x", pixels[:59], []int{5, 6}, 0)) &&
		fails("bad_image", run.AddImage("../x", pixels[:30], []int{5, 6}, 0)))
	vanishing, err := visdrop.Open(scratch+"/good", "r2")
	must(err)
	must(os.Remove(scratch + "/good/r2"))
	report("vanished_run", fails("vanished_run", vanishing.AddScalar("x", 1.0, 0)))
	return failed
}

func concurrent(drop, runName string, writer, count int) {
	run, err := visdrop.Open(drop, runName)
	must(err)
	var group sync.WaitGroup
	for t := 0; t < 2; t++ {
		group.Add(1)
		go func(thread int) {
			defer group.Done()
			for i := 0; i < count; i++ {
				target := ""
				if i%5 == 0 {
					target = "every5.json"
				}
				must(run.AddScalars(R{{"writer", writer}, {"thread", thread}, {"i", i}}, int64(i), target))
			}
		}(t)
	}
	group.Wait()
}

func bench(drop, runName string, records, images int) {
	run, err := visdrop.Open(drop, runName)
	must(err)
	start := time.Now()
	for i := 0; i < records; i++ {
		must(run.AddScalars(R{{"loss", 0.25}, {"acc", 0.5}}, int64(i), ""))
	}
	recordSeconds := time.Since(start).Seconds()
	pixels := make([]uint8, 64*64*3)
	for i := range pixels {
		pixels[i] = uint8(i * 7)
	}
	start = time.Now()
	for i := 0; i < images; i++ {
		must(run.AddImage("bench", pixels, []int{64, 64, 3}, int64(i)))
	}
	imageSeconds := time.Since(start).Seconds()
	fmt.Printf("bench records_per_s=%.1f images_per_s=%.1f\n", float64(records)/recordSeconds, float64(images)/imageSeconds)
}

func number(text string) int {
	value, err := strconv.Atoi(text)
	must(err)
	return value
}

func main() {
	a := os.Args
	switch {
	case len(a) >= 4 && a[1] == "sequence":
		sequence(a[2], a[3])
	case len(a) >= 3 && a[1] == "errors":
		os.Exit(errorChecks(a[2]))
	case len(a) >= 6 && a[1] == "concurrent":
		concurrent(a[2], a[3], number(a[4]), number(a[5]))
	case len(a) >= 6 && a[1] == "bench":
		bench(a[2], a[3], number(a[4]), number(a[5]))
	default:
		fmt.Fprintf(os.Stderr, "usage: %s sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES\n", a[0])
		os.Exit(64)
	}
}
