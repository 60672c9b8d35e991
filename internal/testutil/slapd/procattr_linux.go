package slapd

import "syscall"

// procAttr makes the kernel stop slapd if the test binary dies without cleaning up
// (a timeout panic, a kill), so no server outlives its test run.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
