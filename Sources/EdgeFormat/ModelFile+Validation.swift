/// Structural validation of model.bin, run once by `ModelFile.init(validating:)`.
/// Each check names the section and field; see FORMAT.md for the rules.
extension ModelFile {
    mutating func validateLayout(_ file: ByteView) throws(EdgeError) {
        let headerLength = Int(try file.u32(16, "header length"))
        let sectionCount = Int(try file.u32(20, "section count"))
        let declaredSize = try file.size(24, "file size")
        let tableOffset = try file.size(32, "section table offset")
        let flags = try file.u32(40, "flags")
        let storedCRC = try file.u32(44, "header CRC")
        if declaredSize != bytes.count {
            throw .format("model.bin header", "file size field says % bytes but the file has %", declaredSize, bytes.count)
        }
        if headerLength < FormatV1.headerSize || headerLength > bytes.count {
            throw .format("model.bin header", "header length % is outside 64...%", headerLength, bytes.count)
        }
        if sectionCount < 1 || sectionCount > FormatV1.maxSections {
            throw .format("model.bin header", "section count % is outside 1...%", sectionCount, FormatV1.maxSections)
        }
        if flags != 0 {
            throw EdgeError(.version, object: "model.bin header", problem: "flags \(flags) are not known to this edgerun",
                            fix: "update edgerun or re-pack with a matching edgepack")
        }
        if tableOffset % 8 != 0 || tableOffset < headerLength {
            throw .format("model.bin header", "section table offset % must be 8-aligned and after the %-byte header", tableOffset, headerLength)
        }
        let tableSize = sectionCount * FormatV1.sectionEntrySize
        let table = try file.slice(tableOffset, tableSize, "section table")
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<44]))
        let zero: UInt32 = 0
        withUnsafeBytes(of: zero) { crc.update($0) }
        crc.update(UnsafeRawBufferPointer(rebasing: bytes[48..<headerLength]))
        crc.update(table)
        if crc.checksum != storedCRC {
            throw EdgeError(.checksum, object: "model.bin header", problem: "CRC is \(crc.checksum), stored \(storedCRC)", fix: EdgeError.repack)
        }
        try EdgeError.checkReserved(bytes, 0, 48, 16, "model.bin header", "header")
        try readSectionTable(ByteView(bytes: table, name: "model.bin section table"), sectionCount,
                             reservedEnd: max(tableOffset + tableSize, headerLength))
        try validateRecordArrays()
        try validateTensors()
        try validateMetadata()
        try validateOps()
        try validatePlan()
    }

    @inline(never)
    private mutating func readSectionTable(_ table: ByteView, _ count: Int, reservedEnd: Int) throws(EdgeError) {
        // Ranges name their section by raw kind (`headerRange`, `endRange` for the others), so
        // the array holds no strings; names are built for an error only.
        var ranges: [(start: Int, end: Int, kind: Int)] = [(0, reservedEnd, Self.headerRange)]
        for i in 0..<count {
            // The table holds `count` whole entries: only the sizes' `Int` range can fail, and
            // the field names are built only then.
            let base = i * FormatV1.sectionEntrySize
            let rawKind = table.bytes.le32(base)
            let flags = table.bytes.le32(base + 4)
            if table.bytes.le64(base + 8) > UInt64(Int.max >> 1) { _ = try table.size(base + 8, "entry \(i) offset") }
            if table.bytes.le64(base + 16) > UInt64(Int.max >> 1) { _ = try table.size(base + 16, "entry \(i) size") }
            let offset = Int(table.bytes.le64(base + 8)), size = Int(table.bytes.le64(base + 16))
            let storedCRC = table.bytes.le32(base + 24)
            let kind = SectionKind(rawValue: rawKind)
            let name = Self.sectionName(Int(rawKind))
            try EdgeError.checkReserved(table.bytes, base, 28, 4, name, "section table entry")
            if flags & ~FormatV1.requiredSectionFlag != 0 {
                throw .format(name, "flags % has unknown bits", Int(flags))
            }
            let alignment = kind == .constants ? FormatV1.tensorAlignment : 8
            if offset % alignment != 0 {
                throw .format(name, "offset % is not %-byte aligned", offset, alignment)
            }
            let section = try ByteView(bytes: bytes, name: name).slice(offset, size, "section bytes")
            let actualCRC = CRC32.checksum(section)
            if actualCRC != storedCRC {
                throw EdgeError(.checksum, object: name, problem: "CRC is \(actualCRC), stored \(storedCRC): the section is damaged",
                                fix: "copy the file again or re-pack it with edgepack")
            }
            ranges.append((offset, offset + size, Int(rawKind)))
            guard let kind else {
                if flags & FormatV1.requiredSectionFlag != 0 {
                    throw EdgeError(.version, object: name, problem: "required section kind \(rawKind) is not known to this edgerun",
                                    fix: "update edgerun to a version that matches the edgepack that wrote this file")
                }
                continue
            }
            let region = Region(offset: offset, size: size, present: true)
            switch kind {
            case .strings: strings = try Self.once(strings, region, name)
            case .params: params = try Self.once(params, region, name)
            case .plan: plan = try Self.once(plan, region, name)
            case .metadata: metadata = try Self.once(metadata, region, name)
            case .constants: constants = try Self.once(constants, region, name)
            case .tensors: tensors = try recordArray(tensors, region, FormatV1.tensorRecordSize, name)
            case .quant: quants = try recordArray(quants, region, FormatV1.quantRecordSize, name)
            case .ops: ops = try recordArray(ops, region, FormatV1.opRecordSize, name)
            case .operands: operands = try recordArray(operands, region, FormatV1.operandRecordSize, name)
            }
        }
        // Insertion sort (stable, as `sort` is): at most `maxSections` + 1 entries, and the
        // standard library's sort would add a specialization of its merge sort for this tuple.
        for i in 1..<ranges.count {
            var j = i
            while j > 0 && ranges[j].start < ranges[j - 1].start {
                ranges.swapAt(j, j - 1)
                j -= 1
            }
        }
        for i in 1..<ranges.count where ranges[i].start < ranges[i - 1].end {
            throw .format(Self.sectionName(ranges[i].kind), "starts at %, inside @ (which ends at %)", ranges[i].start, ranges[i - 1].end,
                          text: Self.sectionName(ranges[i - 1].kind))
        }
        // Padding between and after sections must be zero, so that every byte of the file is
        // either checksummed or checked: any corruption is detected.
        ranges.append((bytes.count, bytes.count, Self.endRange))
        for i in 1..<ranges.count {
            for offset in ranges[i - 1].end..<ranges[i].start where bytes[offset] != 0 {
                throw .format("model.bin", "padding byte at offset % (before @) is %, must be 0", offset, Int(bytes[offset]),
                              text: Self.sectionName(ranges[i].kind))
            }
        }
        // The first missing one in this order (no array of tuples to walk: smaller code).
        let missing: SectionKind? = !strings.present ? .strings : !params.present ? .params : !plan.present ? .plan
            : !metadata.present ? .metadata : nil
        if let missing { throw .format("model.bin", "mandatory section \(missing.name) is missing") }
    }

    private static var headerRange: Int { -1 }
    private static var endRange: Int { -2 }

    /// The object name of a section of raw kind `kind`, or of the header or end-of-file range.
    @inline(never)
    private static func sectionName(_ kind: Int) -> String {
        if kind == headerRange { return "header and section table" }
        if kind == endRange { return "end of file" }
        if let known = SectionKind(rawValue: UInt32(kind)) { return "model.bin section \(known.name)" }
        return "model.bin section kind \(kind)"
    }

    @inline(never)
    private static func once(_ slot: Region, _ region: Region, _ name: String) throws(EdgeError) -> Region {
        if slot.present { throw .format(name, "appears twice in the section table") }
        return region
    }

    /// Reads a record-array section's prefix and checks that its records fit.
    @inline(never)
    private func recordArray(_ slot: RecordArray, _ region: Region, _ minStride: Int, _ name: String) throws(EdgeError) -> RecordArray {
        if slot.stride != 0 { throw .format(name, "appears twice in the section table") }
        let view = ByteView(bytes: bytes, name: name)
        let count = Int(try view.u32(region.offset, "record count"))
        let stride = Int(try view.u32(region.offset + 4, "record size"))
        if stride < minStride {
            throw .format(name, "record size % is smaller than the v1 record size %", stride, minStride)
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: stride)
        if overflow || total > region.size - FormatV1.recordArrayPrefixSize {
            throw .format(name, "% records of % bytes do not fit in the section's % bytes", count, stride, region.size)
        }
        try EdgeError.checkReserved(bytes, region.offset, 8, 8, name, "record array prefix")
        return RecordArray(offset: region.offset + FormatV1.recordArrayPrefixSize, count: count, stride: stride)
    }

    @inline(never)
    private mutating func validateRecordArrays() throws(EdgeError) {
        let missing: SectionKind? = tensors.stride == 0 ? .tensors : quants.stride == 0 ? .quant : ops.stride == 0 ? .ops
            : operands.stride == 0 ? .operands : nil
        if let missing { throw .format("model.bin", "mandatory section \(missing.name) is missing") }
        tensorCount = tensors.count
        opCount = ops.count
        quantCount = quants.count
        operandCount = operands.count
        for i in 0..<quantCount {
            let q = quant(i)
            if !(q.scale.isFinite && q.scale > 0) {
                throw .format("model.bin section QUANT", "record \(i) has scale \(q.scale), must be finite and > 0")
            }
        }
        if opCount == 0 { throw .format("model.bin section OPS", "the model has no ops") }
    }

    @inline(never)
    func checkString(_ ref: StringRef, _ object: String) throws(EdgeError) {
        let end = UInt64(ref.offset) + UInt64(ref.length)
        if end > UInt64(strings.size) {
            throw .format(object, "string at % of length % runs past the %-byte STRINGS section", Int(ref.offset), Int(ref.length), strings.size)
        }
    }
}
