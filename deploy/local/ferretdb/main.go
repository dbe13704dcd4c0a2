// Command ferretdb-local runs FerretDB v1 (MongoDB wire protocol) for local development and tests.
//
// It embeds the github.com/FerretDB/FerretDB/ferretdb package instead of building FerretDB's own
// cmd/ferretdb: a plain `go install` of the latter panics at start-up because the generated
// build/version/version.txt is missing from the module zip. The embeddable package does not need it.
//
// Flags (env fallbacks in parentheses):
//
//	-listen-addr     TCP address to listen on            (FERRETDB_LISTEN_ADDR, default 127.0.0.1:27017)
//	-handler         postgresql | sqlite                 (FERRETDB_HANDLER, default postgresql)
//	-postgresql-url  PostgreSQL URL for the pg handler   (FERRETDB_POSTGRESQL_URL)
//	-sqlite-url      SQLite directory URI, e.g. file:dir/ (FERRETDB_SQLITE_URL)
//	-log-level       debug | info | warn | error         (FERRETDB_LOG_LEVEL, default warn; info logs
//	                 every client connection)
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func main() {
	listenAddr := flag.String("listen-addr", env("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"), "TCP listen address")
	handler := flag.String("handler", env("FERRETDB_HANDLER", "postgresql"), "backend handler: postgresql or sqlite")
	pgURL := flag.String("postgresql-url", env("FERRETDB_POSTGRESQL_URL", "postgres://127.0.0.1:5432/ferretdb"), "PostgreSQL URL")
	sqliteURL := flag.String("sqlite-url", env("FERRETDB_SQLITE_URL", "file:data/"), "SQLite directory URI")
	logLevel := flag.String("log-level", env("FERRETDB_LOG_LEVEL", "warn"), "log level")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "invalid -log-level %q: %v\n", *logLevel, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:   logger,
		Handler:  *handler,
	}
	switch *handler {
	case "postgresql":
		cfg.PostgreSQLURL = *pgURL
	case "sqlite":
		cfg.SQLiteURL = *sqliteURL
	default:
		fmt.Fprintf(os.Stderr, "unknown -handler %q (want postgresql or sqlite)\n", *handler)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	f, err := ferretdb.New(cfg)
	if err != nil {
		logger.Error("failed to start FerretDB", "error", err)
		os.Exit(1)
	}

	fmt.Fprintf(os.Stderr, "%s FerretDB (embedded v1.24) listening on %s, handler %s\n",
		time.Now().UTC().Format(time.RFC3339), *listenAddr, *handler)
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with error", "error", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%s FerretDB stopped\n", time.Now().UTC().Format(time.RFC3339))
}
