// Command rtaudit-image writes rtaudit's container image as an OCI
// image-layout archive, without Docker:
//
//	rtaudit-image -binary bin/rtaudit -ref rtaudit.local/rtaudit:test -o bin/rtaudit-image.tar
//	ctr -n k8s.io images import bin/rtaudit-image.tar
//
// It prints the manifest digest and the image's size.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rtaudit/rtaudit/test/image"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rtaudit-image:", err)
		os.Exit(1)
	}
}

func run() error {
	binary := flag.String("binary", "bin/rtaudit", "static Linux rtaudit binary")
	ref := flag.String("ref", image.DefaultRef, "image name (registry/repository:tag) recorded in the archive")
	out := flag.String("o", "bin/rtaudit-image.tar", "archive to write")
	version := flag.String("version", "", "org.opencontainers.image.version label (default devel)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	idx, err := image.Index(*binary, image.Options{Ref: *ref, Version: *version})
	if err != nil {
		return err
	}
	tmp := *out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := image.WriteArchive(idx, f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	m := im.Manifests[0]
	img, err := idx.Image(m.Digest)
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var compressed int64
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return err
		}
		compressed += n
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s@%s (%s/%s): layers %d bytes compressed, archive %d bytes\n",
		*out, *ref, m.Digest, m.Platform.OS, m.Platform.Architecture, compressed, fi.Size())
	return nil
}
