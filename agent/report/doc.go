// Package report renders for people and for tools what a scan found: an
// aligned table (grouped by pod when long, coloured on a terminal), JSON
// (the stable contract), SARIF 2.1.0 (code-scanning dashboards), and the
// per-layer explanation of one container (Explain, from an Explanation
// its caller builds).
//
// Much of what it prints is chosen by whoever controls a container
// (process names, container and image names, mount paths): every string
// goes through Inert before it reaches a human output, and the JSON
// writers escape what a terminal would act on.
//
// It formats only: it must not scan, probe or talk to a runtime.
package report
