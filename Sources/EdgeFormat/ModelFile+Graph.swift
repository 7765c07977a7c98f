/// Validation of tensors, ops, the memory plan and metadata (after the section table).
extension ModelFile {
    @inline(never)
    func tensorName(_ i: Int) -> String {
        let ref = StringRef(offset: record(tensors, i).le32(32), length: record(tensors, i).le32(36))
        if UInt64(ref.offset) + UInt64(ref.length) <= UInt64(strings.size) {
            return EdgeError.filled("model.bin tensor % '@'", i, 0, 0, 0, text: string(ref), text2: "")
        }
        return EdgeError.filled("model.bin tensor %", i, 0, 0, 0, text: "", text2: "")
    }

    @inline(never)
    mutating func validateTensors() throws(EdgeError) {
        let arenaView = ByteView(bytes: bytes, name: "model.bin section PLAN")
        if plan.size < FormatV1.planHeaderSize { throw .format(arenaView.name, "% bytes, below the 24-byte header", plan.size) }
        arenaBytes = try arenaView.size(plan.offset, "arena bytes")
        for i in 0..<tensorCount {
            let r = record(tensors, i)
            let object = tensorName(i)
            try EdgeError.checkReserved(r, 0, 5, 3, object, "tensor record")
            try checkString(StringRef(offset: r.le32(32), length: r.le32(36)), object)
            guard let dtype = DType(rawValue: r[0]) else {
                throw EdgeError(.unsupported, object: object, problem: "dtype \(r[0]) is not known to this edgerun (1...13)",
                                fix: "update edgerun or re-pack with a matching edgepack")
            }
            let rank = Int(r[1])
            if rank > FormatV1.maxRank { throw .format(object, "rank % is above 6", rank) }
            guard let storage = TensorStorage(rawValue: r[2]) else { throw .format(object, "storage % is not 0 (arena) or 1 (constant)", Int(r[2])) }
            if r[4] != 0 && r[4] != SparseWeights.layout && !PackedWeights.isPacked(r[4]) {
                throw EdgeError(.unsupported, object: object, problem: "layout \(r[4]) is not known to this edgerun (0 to 6)",
                                fix: "update edgerun or re-pack with a matching edgepack")
            }
            if r[4] != 0 && (dtype != .int8 || storage != .constant) {
                let name = r[4] == SparseWeights.layout ? "block-sparse" : r[4] == PackedWeights.neonFCLayout ? "packed fully connected" : "packed conv"
                throw .format(object, EdgeError.filled("@ layout needs a constant int8 tensor, found @ ", 0, 0, 0, 0, text: name, text2: dtype.name)
                              + (storage == .constant ? "constant" : "arena"))
            }
            var elements = 1
            for d in 0..<FormatV1.maxRank {
                let dim = Int(r.le32(8 + 4 * d))
                if d < rank {
                    if dim > Int(Int32.max) { throw .format(object, "dims[%] = % is above 2^31 - 1", d, dim) }
                    let (n, overflow) = elements.multipliedReportingOverflow(by: dim)
                    if overflow || n > Int(Int32.max) { throw .format(object, "element count overflows at dims[%] = %", d, dim) }
                    elements = n
                } else if dim != 0 {
                    throw .format(object, "dims[%] = % beyond rank %, must be 0", d, dim, rank)
                }
            }
            // `tensor(i)` converts the u64 data offset and byte size to Int: check them first.
            for at in stride(from: 40, through: 48, by: 8) where r.le64(at) > UInt64(Int.max >> 1) {
                throw .format(object, "\(at == 40 ? "data offset" : "byte size") \(r.le64(at)) is larger than any file or arena this build can hold")
            }
            let t = tensor(i)
            if t.layout == 0 && t.byteSize != elements * dtype.size {
                throw .format(object, "byte size % does not match % elements of @", t.byteSize, elements, text: dtype.name)
            }
            if t.dataOffset % FormatV1.tensorAlignment != 0 {
                throw .format(object, "data offset % is not 64-byte aligned", t.dataOffset)
            }
            let limit = storage == .constant ? constants.size : arenaBytes
            let (end, overflow) = t.dataOffset.addingReportingOverflow(t.byteSize + FormatV1.overReadBytes)
            if overflow || end > limit {
                let place = storage == .constant ? "CONSTANTS section" : "arena"
                throw .format(object, "data [%, +%) plus 64 bytes of padding exceeds the %-byte @", t.dataOffset, t.byteSize, limit, text: place)
            }
            if PackedWeights.isPacked(t.layout) {
                try PackedWeights.validate(shape: t.shape, byteSize: t.byteSize, layout: t.layout, object: object)
                try PackedWeights.validateValues(UnsafeRawBufferPointer(start: constantData(t), count: t.byteSize), layout: t.layout,
                                                 shape: t.shape, object: object)
            }
            if t.layout == SparseWeights.layout {
                _ = try SparseWeights.validate(UnsafeRawBufferPointer(start: constantData(t), count: t.byteSize), shape: t.shape, object: object)
            }
            if t.quantCount > 0 {
                let expected = t.quantCount == 1 ? 1 : (t.quantizedDimension < rank ? t.shape[t.quantizedDimension] : -1)
                if t.quantCount != expected {
                    throw .format(object, "% quantization records for quantized dimension % of shape @", t.quantCount, t.quantizedDimension, text: t.shape.text)
                }
                if t.quantIndex > quantCount || t.quantCount > quantCount - t.quantIndex {
                    throw .format(object, "quantization records %..<% exceed the % in QUANT", t.quantIndex, t.quantIndex + t.quantCount, quantCount)
                }
            }
        }
    }

    @inline(never)
    mutating func validateOps() throws(EdgeError) {
        var written = [Bool](repeating: false, count: tensorCount)
        for i in 0..<tensorCount where tensor(i).storage == .constant { written[i] = true }
        for i in 0..<meta.inputCount where inputTensor(i) < tensorCount { written[inputTensor(i)] = true }
        for i in 0..<opCount {
            let r = record(ops, i)
            let raw = UInt16(truncatingIfNeeded: r.le32(0))
            guard let kind = OpKind(rawValue: raw) else {
                var known = ""
                // Raw values in ascending order, as `allCases` lists them (its array literal
                // is code that stores every case).
                for k in 0...UInt16.max where OpKind(rawValue: k) != nil { known += (known.isEmpty ? "" : ", ") + "\(k)" }
                throw EdgeError(.unsupported, object: "model.bin op \(i)",
                                problem: "op kind \(raw): this edgerun knows kinds \(known)",
                                fix: "update edgerun to a version that matches the edgepack that wrote this file")
            }
            let object = EdgeError.filled("model.bin op % (@)", i, 0, 0, 0, text: kind.name, text2: "")
            try EdgeError.checkReserved(r, 0, 24, 8, object, "op record")
            try checkString(StringRef(offset: r.le32(16), length: r.le32(20)), object)
            let op = self.op(i)
            if op.outputCount < 1 { throw .format(object, "has no outputs") }
            let operandEnd = op.firstOperand + op.inputCount + op.outputCount
            if operandEnd > operandCount {
                throw .format(object, "operands %..<% exceed the % in OPERANDS", op.firstOperand, operandEnd, operandCount)
            }
            if op.paramsOffset % 4 != 0 || op.paramsSize < kind.paramsSize || op.paramsOffset + op.paramsSize > params.size {
                throw .format(object, "parameters at % of % bytes (needs %, 4-aligned) do not fit the %-byte PARAMS section", op.paramsOffset, op.paramsSize, kind.paramsSize, params.size)
            }
            for k in 0..<op.inputCount {
                guard let t = input(op, k) else { continue }
                if t >= tensorCount { throw .format(object, "input % names tensor %, but there are %", k, t, tensorCount) }
                if !written[t] { throw .format(object, "input % reads tensor % before any op writes it", k, t) }
            }
            for k in 0..<op.outputCount {
                let t = output(op, k)
                if t >= tensorCount { throw .format(object, "output % names tensor %, but there are %", k, t, tensorCount) }
                if tensor(t).storage != .arena { throw .format(object, "output % is constant tensor %", k, t) }
                if written[t] { throw .format(object, "output % writes tensor %, which is already written", k, t) }
                written[t] = true
            }
        }
    }

    @inline(never)
    mutating func validatePlan() throws(EdgeError) {
        let view = ByteView(bytes: bytes, name: "model.bin section PLAN")
        let alignment = Int(try view.u32(plan.offset + 8, "alignment"))
        let count = Int(try view.u32(plan.offset + 12, "entry count"))
        let stride = Int(try view.u32(plan.offset + 16, "entry size"))
        if alignment != FormatV1.tensorAlignment { throw .format(view.name, "alignment %, expected 64", alignment) }
        if stride < FormatV1.planEntrySize { throw .format(view.name, "entry size % is below 16", stride) }
        // Reserved words must be 0 (FORMAT.md): a set one is damage or a newer writer's field.
        // (validateTensors checked that the 24-byte header is present.)
        try EdgeError.checkReserved(bytes, plan.offset, 20, 4, view.name, "PLAN header")
        let (total, overflow) = count.multipliedReportingOverflow(by: stride)
        if overflow || total > plan.size - FormatV1.planHeaderSize {
            throw .format(view.name, "% entries of % bytes do not fit in % bytes", count, stride, plan.size)
        }
        planEntries = RecordArray(offset: plan.offset + FormatV1.planHeaderSize, count: count, stride: stride)
        var seen = [Bool](repeating: false, count: tensorCount)
        var spans: [(start: Int, end: Int, first: Int, last: Int, tensor: Int)] = []
        for i in 0..<count {
            let e = planEntry(i)
            try EdgeError.checkReserved(record(planEntries, i), 0, 12, 4, view.name, "plan entry %", index: i)
            if e.tensor >= tensorCount || tensor(e.tensor).storage != .arena || seen[e.tensor] {
                throw .format(view.name, "entry % names tensor %, which is not a distinct arena tensor", i, e.tensor)
            }
            if e.firstOp > e.lastOp || e.lastOp >= opCount {
                throw .format(view.name, "entry % lifetime %...% is outside ops 0..<%", i, e.firstOp, e.lastOp, opCount)
            }
            seen[e.tensor] = true
            let t = tensor(e.tensor)
            spans.append((t.dataOffset, t.dataOffset + t.byteSize, e.firstOp, e.lastOp, e.tensor))
        }
        for i in 0..<tensorCount where tensor(i).storage == .arena && !seen[i] {
            throw .format(view.name, "arena tensor % has no plan entry", i)
        }
        // The runtime allocates and zeroes `arena bytes`: no more than the tensors' end plus
        // the over-read padding (what the planner writes), so a damaged field cannot ask for
        // gigabytes. (validateTensors checked that every tensor fits below it.)
        var needed = FormatV1.overReadBytes
        for span in spans { needed = max(needed, span.end + FormatV1.overReadBytes) }
        if arenaBytes > needed {
            throw .format(view.name, "arena bytes % exceed the % its tensors need (largest end + 64)", arenaBytes, needed)
        }
        // Overlap check: sort by offset so each tensor is compared only with the ones that
        // start inside its bytes. Empty tensors hold no bytes and overlap nothing.
        let order = sortedIndices(spans.count) { spans[$0].start < spans[$1].start }
        for i in 0..<order.count {
            let a = spans[order[i]]
            var j = i + 1
            while j < order.count && spans[order[j]].start < a.end {
                let b = spans[order[j]]
                if a.first <= b.last && b.first <= a.last && b.start < b.end && !isAlias(a.tensor, b.tensor) {
                    throw .format(view.name, "tensors % and % are alive at the same time and share arena bytes %..<%", a.tensor, b.tensor, b.start, min(a.end, b.end))
                }
                j += 1
            }
        }
    }

    /// Reshape outputs share their input's bytes (same offset and size).
    @inline(never)
    private func isAlias(_ a: Int, _ b: Int) -> Bool {
        let ta = tensor(a), tb = tensor(b)
        if ta.dataOffset != tb.dataOffset || ta.byteSize != tb.byteSize { return false }
        for i in 0..<opCount {
            let op = self.op(i)
            guard op.kind == .reshape, let input = input(op, 0) else { continue }
            let output = output(op, 0)
            if (input == a && output == b) || (input == b && output == a) { return true }
        }
        return false
    }

    @inline(never)
    mutating func validateMetadata() throws(EdgeError) {
        let view = ByteView(bytes: bytes, name: "model.bin section METADATA")
        if metadata.size < FormatV1.metadataHeaderSize { throw .format(view.name, "% bytes, below the 32-byte header", metadata.size) }
        try checkString(metadataRef(0), view.name + " model name")
        try checkString(metadataRef(8), view.name + " producer")
        let base = metadata.offset
        let inputs = Int(try view.u32(base + 16, "input count")), outputs = Int(try view.u32(base + 20, "output count"))
        let labels = Int(try view.u32(base + 24, "label count")), pairs = Int(try view.u32(base + 28, "key/value count"))
        // The first implausible count in this order (no array: smaller code).
        let implausible = inputs > 1 << 20 ? inputs : outputs > 1 << 20 ? outputs : labels > 1 << 20 ? labels
            : pairs > 1 << 20 ? pairs : 0
        if implausible != 0 { throw .format(view.name, "count % is implausible", implausible) }
        let needed = FormatV1.metadataHeaderSize + 4 * inputs + 4 * outputs + 8 * labels + 16 * pairs
        if needed > metadata.size { throw .format(view.name, "needs % bytes for its lists, has %", needed, metadata.size) }
        if inputs < 1 || outputs < 1 { throw .format(view.name, "% inputs and % outputs; a model needs at least one of each", inputs, outputs) }
        meta.inputCount = inputs
        meta.outputCount = outputs
        meta.labelCount = labels
        meta.pairCount = pairs
        meta.inputsOffset = base + FormatV1.metadataHeaderSize
        meta.outputsOffset = meta.inputsOffset + 4 * inputs
        meta.labelsOffset = meta.outputsOffset + 4 * outputs
        meta.pairsOffset = meta.labelsOffset + 8 * labels
        for i in 0..<(inputs + outputs) {
            let t = Int(bytes.le32(meta.inputsOffset + 4 * i))
            if t >= tensorCount || tensor(t).storage != .arena {
                throw .format(view.name, "input/output % names tensor %, which is not an arena tensor", i, t)
            }
        }
        // The object name is built only for a bad string (labels can be thousands).
        for i in 0..<(labels + 2 * pairs) {
            let pair = i >= labels
            let ref = refAt(meta.labelsOffset + 8 * i)
            if UInt64(ref.offset) + UInt64(ref.length) > UInt64(strings.size) {
                try checkString(ref, view.name + (pair ? " key/value \((i - labels) / 2)" : " label \(i)"))
            }
        }
    }
}
