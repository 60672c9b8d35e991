// Command atrium is the workspace settings and administration server. Run "atrium help"
// for its commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"atrium/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Env: os.LookupEnv})
	stop()
	os.Exit(code)
}
