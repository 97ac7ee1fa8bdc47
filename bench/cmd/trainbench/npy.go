package main

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// npzArrays reads the named float64 or int64 arrays of an .npz file (the
// split arrays the Python baseline caches) as float64, with their shapes.
func npzArrays(path string, names ...string) (map[string][]float64, map[string][]int, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, err
	}
	defer zr.Close()
	data := map[string][]float64{}
	shapes := map[string][]int{}
	for _, name := range names {
		f, err := zr.Open(name + ".npy")
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		vals, shape, err := readNpy(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s/%s.npy: %w", path, name, err)
		}
		data[name], shapes[name] = vals, shape
	}
	return data, shapes, nil
}

var (
	descrRe = regexp.MustCompile(`'descr':\s*'([^']+)'`)
	shapeRe = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

func readNpy(r io.Reader) ([]float64, []int, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, nil, err
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("not an npy file")
	}
	var hlen int
	switch pre[6] {
	case 1:
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	default:
		var more [2]byte
		if _, err := io.ReadFull(r, more[:]); err != nil {
			return nil, nil, err
		}
		hlen = int(binary.LittleEndian.Uint32(append(pre[8:10:10], more[:]...)))
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, nil, err
	}
	h := string(header)
	fortran := strings.Contains(h, "'fortran_order': True")
	dm, sm := descrRe.FindStringSubmatch(h), shapeRe.FindStringSubmatch(h)
	if dm == nil || sm == nil {
		return nil, nil, fmt.Errorf("bad header %q", h)
	}
	var shape []int
	n := 1
	for _, s := range strings.Split(sm[1], ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		d, err := strconv.Atoi(s)
		if err != nil {
			return nil, nil, fmt.Errorf("bad shape %q", sm[1])
		}
		shape = append(shape, d)
		n *= d
	}
	raw := make([]byte, 8*n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, nil, err
	}
	out := make([]float64, n)
	switch dm[1] {
	case "<f8":
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case "<i8":
		for i := range out {
			out[i] = float64(int64(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	default:
		return nil, nil, fmt.Errorf("dtype %s not supported", dm[1])
	}
	if fortran && len(shape) == 2 {
		rows, cols := shape[0], shape[1]
		t := make([]float64, n)
		for j := 0; j < cols; j++ {
			for i := 0; i < rows; i++ {
				t[i*cols+j] = out[j*rows+i]
			}
		}
		out = t
	}
	return out, shape, nil
}
