// compose-config loads Compose files the way `docker compose config` does, without a Docker engine: it
// merges the files in order, interpolates variables, validates the result against the Compose Specification
// JSON schema and checks its consistency (depends_on, networks, volumes), through compose-go, the loader
// of Docker Compose v2. On success it prints the merged project as JSON; on failure it prints the loader's
// error and exits 1.
//
// Usage: compose-config [-e NAME=VALUE]... FILE [FILE...]
// Only the variables given with -e are visible to interpolation (never the caller's environment), so a
// check is reproducible.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	var env envFlags
	flag.Var(&env, "e", "NAME=VALUE visible to interpolation (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-config [-e NAME=VALUE]... FILE [FILE...]")
		os.Exit(2)
	}
	files := flag.Args()
	options, err := cli.NewProjectOptions(files,
		cli.WithName("tickets"),
		cli.WithWorkingDirectory(filepath.Dir(files[0])),
		cli.WithEnv(env),
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
	)
	if err == nil {
		var project *types.Project
		if project, err = options.LoadProject(context.Background()); err == nil {
			var out []byte
			if out, err = project.MarshalJSON(); err == nil {
				fmt.Println(string(out))
				return
			}
		}
	}
	fmt.Fprintln(os.Stderr, "compose-config:", err)
	os.Exit(1)
}
