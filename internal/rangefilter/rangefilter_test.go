package rangefilter

import (
	"slices"
	"testing"

	"golang.org/x/net/bpf"
)

func TestRuns(t *testing.T) {
	var scattered []uint32
	for i := range MaxRuns + 1 {
		scattered = append(scattered, uint32(100-2*i))
	}
	for _, c := range []struct {
		name  string
		words []uint32
		want  [][2]uint32
	}{
		{"pool", []uint32{12, 10, 11, 11}, [][2]uint32{{10, 12}}},
		{"scattered", []uint32{1, 5, 6, 9}, [][2]uint32{{1, 1}, {5, 6}, {9, 9}}},
		{"more runs than listed", scattered, [][2]uint32{{100 - 2*MaxRuns, 100}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := slices.Clone(c.words)
			if got := Runs(c.words); !slices.Equal(got, c.want) {
				t.Errorf("Runs(%v) = %v, want %v", c.words, got, c.want)
			}
			if !slices.Equal(in, c.words) {
				t.Errorf("Runs changed its argument to %v", c.words)
			}
		})
	}
}

// TestAppendTests runs the tests in the BPF virtual machine: a word in a
// run is accepted, one between or outside the runs is dropped.
func TestAppendTests(t *testing.T) {
	runs := [][2]uint32{{10, 12}, {20, 20}}
	prog := []bpf.Instruction{bpf.LoadAbsolute{Off: 0, Size: 4}}
	accept := len(prog) + 2*len(runs) + 1
	prog = AppendTests(prog, runs, accept)
	prog = append(prog, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: 4})
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	for w, want := range map[uint32]int{9: 0, 10: 4, 12: 4, 13: 0, 19: 0, 20: 4, 21: 0} {
		got, err := vm.Run([]byte{byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w)})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("word %d: filter returned %d, want %d", w, got, want)
		}
	}
}
