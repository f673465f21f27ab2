package migrate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("CREATE TABLE b (x int);")},
		"m/0001_a.sql": {Data: []byte("CREATE TABLE a (x int);")},
		"m/README":     {Data: []byte("not a migration")},
	}
	got, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{{1, "0001_a.sql", "CREATE TABLE a (x int);"}, {2, "0002_b.sql", "CREATE TABLE b (x int);"}}
	if !slices.Equal(got, want) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{nil, "none embedded"},
		{[]string{"0001_a.sql", "0003_c.sql"}, "0003_c.sql: expected version 2"},
		{[]string{"0001_a.sql", "0001_b.sql"}, "expected version 2"},
		{[]string{"a.sql"}, "a.sql: name must be NNNN_what.sql"},
		{[]string{"0000_zero.sql"}, "name must be"},
		{[]string{"x1_a.sql"}, "name must be"},
	} {
		fsys := fstest.MapFS{}
		for _, f := range tc.files {
			fsys["m/"+f] = &fstest.MapFile{Data: []byte("--")}
		}
		if _, err := Load(fsys, "m"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.files, err, tc.want)
		}
	}
}

// fakeTx is a database in memory that logs what a run does.
type fakeTx struct {
	version int
	log     []string
	failOn  string // the SQL whose Exec fails
	fail    error  // returned by Prepare when set
}

func (f *fakeTx) Prepare(context.Context) error {
	f.log = append(f.log, "prepare")
	return f.fail
}

func (f *fakeTx) Applied(context.Context) (int, error) {
	f.log = append(f.log, "applied")
	return f.version, nil
}

func (f *fakeTx) Exec(_ context.Context, sql string) error {
	if sql == f.failOn {
		return errors.New("syntax error")
	}
	f.log = append(f.log, "exec "+sql)
	return nil
}

func (f *fakeTx) Record(_ context.Context, m Migration) error {
	f.log = append(f.log, "record "+m.Name)
	f.version = m.Version
	return nil
}

var steps = []Migration{{1, "0001_a.sql", "A"}, {2, "0002_b.sql", "B"}, {3, "0003_c.sql", "C"}}

func TestApply(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		tx      *fakeTx
		wantLog []string
		wantErr string
	}{
		{"new database", &fakeTx{}, []string{"prepare", "applied", "exec A", "record 0001_a.sql", "exec B", "record 0002_b.sql", "exec C", "record 0003_c.sql"}, ""},
		{"one behind", &fakeTx{version: 2}, []string{"prepare", "applied", "exec C", "record 0003_c.sql"}, ""},
		{"up to date", &fakeTx{version: 3}, []string{"prepare", "applied"}, ""},
		{"newer binary's database", &fakeTx{version: 4}, []string{"prepare", "applied"}, "migrate: database is at version 4, this binary knows up to 3"},
		{"failing step", &fakeTx{failOn: "B"}, []string{"prepare", "applied", "exec A", "record 0001_a.sql"}, "migrate: 0002_b.sql: syntax error"},
		{"lock refused", &fakeTx{fail: errors.New("lock: timeout")}, []string{"prepare"}, "migrate: lock: timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Apply(ctx, tc.tx, steps)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("err %v, want %q", err, tc.wantErr)
			}
			if !slices.Equal(tc.tx.log, tc.wantLog) {
				t.Errorf("log %q, want %q", tc.tx.log, tc.wantLog)
			}
		})
	}
	if err := Apply(ctx, &fakeTx{}, nil); err == nil {
		t.Error("Apply with no step succeeded")
	}
}
