package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/aws/awstest"
	"github.com/stewardml/steward/internal/aws/dynamodb"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
)

const raceVersions = 4

// backends are the record adapters the alias races run on.
var backends = []struct {
	name string
	open func(t *testing.T) store.RecordStore
}{
	{"sqlite", func(t *testing.T) store.RecordStore {
		return openSQLite(t, filepath.Join(t.TempDir(), "records.db"))
	}},
	{"dynamodb", func(t *testing.T) store.RecordStore {
		d := awstest.DynamoDB(t)
		table := d.TableName()
		if err := dynamodb.CreateTable(context.Background(), d.Client, table); err != nil {
			t.Fatal(err)
		}
		return dynamodb.New(d.Client, table)
	}},
}

// TestChampionRaceOneWinnerPerRound: in each round every goroutine reads
// champion, waits for all the others to have read it, then tries to move it
// from what it read. Exactly one move per round must win.
func TestChampionRaceOneWinnerPerRound(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			r := registry.New(b.open(t))
			ctx := context.Background()
			registerN(t, r, "heart", raceVersions)
			const movers, rounds = 8, 6
			for round := 1; round <= rounds; round++ {
				var read, done sync.WaitGroup
				start := make(chan struct{})
				results := make(chan error, movers)
				for g := range movers {
					read.Add(1)
					done.Add(1)
					go func() {
						defer done.Done()
						a, err := r.Alias(ctx, "heart", registry.Champion)
						read.Done()
						if err != nil {
							results <- err
							return
						}
						<-start
						to := a.Version%raceVersions + 1
						_, err = r.MoveAlias(ctx, "heart", registry.Champion, a.Version, to, fmt.Sprintf("mover-%d", g), fmt.Sprintf("round %d", round))
						results <- err
					}()
				}
				read.Wait()
				close(start)
				done.Wait()
				close(results)
				wins := 0
				for err := range results {
					switch {
					case err == nil:
						wins++
					case errors.Is(err, registry.ErrConflict):
					default:
						t.Fatalf("round %d: %v", round, err)
					}
				}
				if wins != 1 {
					t.Fatalf("round %d: %d moves won, want exactly 1", round, wins)
				}
			}
			checkHistory(t, r, rounds, nil)
		})
	}
}

// TestChampionRaceNoLostMoves: goroutines each make a fixed number of
// successful moves, retrying after conflicts. Every move must appear in the
// history exactly once, chained from the one before.
func TestChampionRaceNoLostMoves(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			r := registry.New(b.open(t))
			registerN(t, r, "heart", raceVersions)
			const movers, each = 6, 5
			var wg sync.WaitGroup
			errs := make(chan error, movers)
			var mu sync.Mutex
			conflicts := 0
			for g := range movers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := moveChampion(context.Background(), r, fmt.Sprintf("mover-%d", g), each)
					mu.Lock()
					conflicts += c
					mu.Unlock()
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%d moves won, %d attempts lost a race", movers*each, conflicts)
			want := map[string]int{}
			for g := range movers {
				want[fmt.Sprintf("mover-%d", g)] = each
			}
			checkHistory(t, r, movers*each, want)
		})
	}
}

// moveChampion makes n successful champion moves as actor, retrying on
// conflict, and returns how many of its attempts lost a race.
func moveChampion(ctx context.Context, r *registry.Registry, actor string, n int) (int, error) {
	deadline := time.Now().Add(60 * time.Second)
	conflicts := 0
	for done := 0; done < n; {
		if time.Now().After(deadline) {
			return conflicts, fmt.Errorf("%s: only %d of %d moves won within 60s", actor, done, n)
		}
		a, err := r.Alias(ctx, "heart", registry.Champion)
		if err != nil {
			return conflicts, fmt.Errorf("%s: %w", actor, err)
		}
		_, err = r.MoveAlias(ctx, "heart", registry.Champion, a.Version, a.Version%raceVersions+1, actor, "race")
		switch {
		case err == nil:
			done++
		case errors.Is(err, registry.ErrConflict):
			conflicts++
		default:
			return conflicts, fmt.Errorf("%s: %w", actor, err)
		}
	}
	return conflicts, nil
}

// checkHistory asserts champion's history has exactly n moves with seq
// 1..n, each starting where the previous one ended, matching the alias
// record, and (when perActor is set) the expected number of moves per actor.
func checkHistory(t *testing.T, r *registry.Registry, n int, perActor map[string]int) {
	t.Helper()
	ctx := context.Background()
	hist, err := r.History(ctx, "heart", registry.Champion)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != n {
		t.Fatalf("history has %d moves, want %d", len(hist), n)
	}
	prev := 0
	got := map[string]int{}
	for i, m := range hist {
		if m.Seq != int64(i+1) {
			t.Fatalf("history entry %d has seq %d (gap or duplicate)", i, m.Seq)
		}
		if m.From != prev {
			t.Fatalf("move %d goes from v%d but champion was v%d (lost update)", m.Seq, m.From, prev)
		}
		prev = m.To
		got[m.Actor]++
	}
	a, err := r.Alias(ctx, "heart", registry.Champion)
	if err != nil || a.Version != prev || a.Seq != int64(n) {
		t.Fatalf("champion = %+v, %v; want v%d after %d moves", a, err, prev, n)
	}
	for actor, want := range perActor {
		if got[actor] != want {
			t.Errorf("%s made %d moves in the history, want %d", actor, got[actor], want)
		}
	}
}

// TestHelperProcess is not a test. TestChampionRaceTwoProcesses re-runs the
// test binary with STEWARD_REGISTRY_HELPER set to a database path; this
// function then moves champion in that database and exits.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv("STEWARD_REGISTRY_HELPER")
	if path == "" {
		t.Skip("helper process for TestChampionRaceTwoProcesses")
	}
	n, _ := strconv.Atoi(os.Getenv("STEWARD_REGISTRY_MOVES"))
	r := registry.New(openSQLite(t, path))
	start, _ := strconv.ParseInt(os.Getenv("STEWARD_REGISTRY_START"), 10, 64)
	time.Sleep(time.Until(time.Unix(0, start)))
	conflicts, err := moveChampion(context.Background(), r, os.Getenv("STEWARD_REGISTRY_ACTOR"), n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("conflicts %d\n", conflicts)
	os.Exit(0)
}

// TestChampionRaceTwoProcesses runs two OS processes (plus this one) moving
// champion in one local data directory at once.
func TestChampionRaceTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "data", "records.db")
	r := registry.New(openSQLite(t, path))
	registerN(t, r, "heart", raceVersions)
	const each = 40
	// All three processes start moving at the same instant.
	start := time.Now().Add(time.Second)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for p := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(),
			"STEWARD_REGISTRY_HELPER="+path,
			"STEWARD_REGISTRY_MOVES="+strconv.Itoa(each),
			"STEWARD_REGISTRY_START="+strconv.FormatInt(start.UnixNano(), 10),
			fmt.Sprintf("STEWARD_REGISTRY_ACTOR=process-%d", p))
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	time.Sleep(time.Until(start))
	conflicts, err := moveChampion(context.Background(), r, "parent", each)
	if err != nil {
		t.Error(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
		t.Logf("process %d: %s", i, bytes.TrimSpace(outs[i].Bytes()))
	}
	t.Logf("parent: conflicts %d", conflicts)
	checkHistory(t, r, 3*each, map[string]int{"process-0": each, "process-1": each, "parent": each})
}
