/// `edgerun --help`: usage, commands, options and exit codes.
enum Help {
    static let version = "0.1.0"

    static let usage = "usage: edgerun MODEL.bin [--input FILE] [--output FILE] [--json] [--top K]\n       edgerun info MODEL.bin | edgerun bench MODEL.bin [--runs N]\n       edgerun watch MODEL.bin --chip CHIP --line N --edge rising|falling|both --input SOURCE\n       edgerun --help\n"

    static let text = """
    edgerun: run an EdgeRun model.bin on this device

    USAGE
      edgerun MODEL.bin [--input FILE]... [--output FILE]... [--json] [--top K]
          Run one inference. Each --input is a .npy file or raw little-endian bytes of the
          model input's exact size ('-' or no --input: read standard input). Prints the top-K
          classes (with labels when the model has them) and the raw outputs.
      edgerun info MODEL.bin [--json]
          Show the model: inputs, outputs, ops and the kernel each runs, tensors, arena bytes.
      edgerun bench MODEL.bin [--runs N] [--warmup N] [--input FILE] [--json] [--ops]
          Time N inferences (default 100 after 10 warm-up runs; zero input unless --input):
          p50/p90/p99 latency, arena, mapped and peak resident bytes. --ops: time of each
          op per run instead, with its share and kernel (where the time goes).
      edgerun watch MODEL.bin --chip CHIP --line N --edge rising|falling|both --input SOURCE
                    [--debounce-ms 20] [--min-interval-ms 100] [--top 3]
                    [--out-line N --out-when RULE [--out-hold-ms 500]] [--json-log FILE [--quiet]]
          Serve GPIO edges (libgpiod): on each accepted edge read SOURCE (a file or device
          re-read per event, a FIFO or - for stdin: raw frames of the input's size), run the
          model and print one JSON line (time, edge_ns, latency_ms, top classes with labels).
          CHIP is a /dev path, name (gpiochip0) or label. Edges within --debounce-ms of the
          previous edge are bounce; accepted edges are at least --min-interval-ms apart.
          A wrong-size or non-finite input skips that event (logged, serving goes on).
          --out-line N is driven active while RULE holds for --out-hold-ms after the event
          (0: the line follows each event's result). RULE: class=LABEL, class!=LABEL,
          score:LABEL>0.8, score:LABEL<0.2 (LABEL: a label or class index of output 0).
          --json-log appends the lines to FILE too (--quiet: only there). SIGINT/SIGTERM
          finish the current event, drive the output inactive, release the lines, exit 0.

    OPTIONS
      --input FILE     input tensor, repeat once per model input, in order
      --output FILE    write output tensor as .npy (repeat per output; written atomically)
      --json           machine-readable output on stdout
      --top K          classes to list (default 5)
      --version        print version and exit

    ENVIRONMENT
      EDGE_KERNELS     kernel set: auto (default: the best tested level this CPU runs), ref
                       (portable reference kernels) or a level: avx2, avx512vnni (x86-64), neon,
                       neondot, neoni8mm (aarch64); edgerun info shows the kernel of every op

    EXIT CODES
      0  success
      2  usage error (bad command line)
      3  I/O error (file missing, unreadable, not writable)
      4  invalid model file (corrupt, truncated, wrong format version)
      5  model uses an op or parameter this edgerun does not support
      6  bad input tensor (wrong size or dtype, NaN or infinity)
      7  out of memory
      8  GPIO error

    EXAMPLES
      edgerun model.bin --input digit.npy
      cat frame.raw | edgerun model.bin --json
      edgerun bench model.bin --runs 1000
      edgerun watch model.bin --chip gpiochip0 --line 17 --edge rising --input /run/frame.npy \\
          --out-line 27 --out-when class=person --json-log /var/log/edgerun.jsonl

    """
}
