package main

import (
	"context"
	"runtime"
	"sync"
)

// inOrder runs work(i) for i in [0, n) on workers goroutines and hands
// each result to emit in the order of i, as one worker would: output that
// does not depend on -j. At most 64 results a worker wait for their turn,
// so that a slow file does not let memory grow with the rest: a parsed
// mail keeps a few kilobytes, and a window of 4 a worker left the other
// core idle behind each slow PDF (the corpus at -j 2: 0.88 s wall with 4,
// 0.71 s with 64, 0.68 s with 128).
func inOrder[T any](ctx context.Context, n, workers int, work func(i int) T, emit func(i int, v T) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(i, work(i)); err != nil {
				return err
			}
		}
		return nil
	}
	window := 64 * workers
	slots := make(chan chan T, window)
	jobs := make(chan struct {
		i   int
		out chan T
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.out <- work(j.i)
			}
		}()
	}
	go func() {
		defer close(jobs)
		defer close(slots)
		for i := range n {
			out := make(chan T, 1)
			select {
			case slots <- out: // waits while the window is full
			case <-stop:
				return
			}
			select {
			case jobs <- struct {
				i   int
				out chan T
			}{i, out}:
			case <-stop:
				return
			}
		}
	}()
	var err error
	i := 0
	for out := range slots {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			break
		}
		err = emit(i, <-out)
		i++
	}
	close(stop)
	wg.Wait()
	return err
}
