package arf

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
)

// Mbox reads an mbox stream (RFC 4155: messages each introduced by a
// "From " line; ">From " lines unescaped as mboxrd writes them) and yields
// each message's report, or the *ProblemError that refused it (its Index
// is the message's 1-based position), and goes on with the next message.
// A read error of r is yielded last, with a nil report. A message larger
// than MaxMessageBytes is skipped, not held, and yields CodeTooLarge.
// Input that does not start with a "From " line is read as one message.
func (o Options) Mbox(r io.Reader) iter.Seq2[*Report, error] {
	o = o.withDefaults()
	return func(yield func(*Report, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		var msg bytes.Buffer
		index := 0
		tooBig := false
		started := false
		emit := func() bool {
			if !started {
				return true
			}
			index++
			var rep *Report
			var err error
			if tooBig {
				err = problem(CodeTooLarge, "the message is larger than %d bytes", o.MaxMessageBytes)
			} else {
				rep, err = o.parseBytes(msg.Bytes())
			}
			var pe *ProblemError
			if errors.As(err, &pe) {
				pe.Index = index
			}
			msg.Reset()
			tooBig = false
			return yield(rep, err)
		}
		prevBlank := true
		for {
			line, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				// A very long line: keep reading it in pieces.
				if !started {
					started = true
				}
				if !tooBig {
					if int64(msg.Len()+len(line)) > o.MaxMessageBytes {
						tooBig = true
						msg.Reset()
					} else {
						msg.Write(line)
					}
				}
				prevBlank = false
				continue
			}
			if len(line) > 0 {
				trimmed := bytes.TrimRight(line, "\r\n")
				if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
					if !emit() {
						return
					}
					started = true
					prevBlank = false
				} else {
					started = true
					if bytes.HasPrefix(trimmed, []byte(">")) && bytes.HasPrefix(bytes.TrimLeft(trimmed, ">"), []byte("From ")) {
						line = line[1:]
					}
					if !tooBig {
						if int64(msg.Len()+len(line)) > o.MaxMessageBytes {
							tooBig = true
							msg.Reset()
						} else {
							msg.Write(line)
						}
					}
					prevBlank = len(trimmed) == 0
				}
			}
			if err == io.EOF {
				if !emit() {
					return
				}
				if index == 0 {
					yield(nil, problem(CodeBadMbox, "the mbox holds no message"))
				}
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
		}
	}
}

// ReadMbox reads every report of an mbox stream with the default Options.
// See Options.Mbox.
func ReadMbox(r io.Reader) iter.Seq2[*Report, error] { return Options{}.Mbox(r) }
