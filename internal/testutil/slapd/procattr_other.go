//go:build !linux

package slapd

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
