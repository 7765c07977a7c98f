/// Block-sparse int8 weights: tensor layout 1 (FORMAT.md, "Block-sparse int8 weights").
///
/// The logical tensor is `[rows, 1, 1, columns]` (conv 1x1, OHWI) or `[rows, columns]` (fully
/// connected); its bytes are a 32-byte header, `rowPtr u32[rows + 1]`, `blockCol u16[blocks]`,
/// zero padding to a 16-byte offset, then `values i8[blocks x blockWidth]`. With block height 8
/// (grouped blocks, 8 x 2) the pointers run over groups of 8 rows, `rowPtr u32[groups + 1]`,
/// and each block holds `8 x 2` values, row-major. Readers validate with `validate`, once at
/// load; kernels then trust every index.
public struct SparseWeights: Sendable {
    /// The tensor record `layout` value.
    public static let layout: UInt8 = 1
    public static let headerSize = 32
    /// Block widths the kernels implement (block height 1).
    public static let blockWidths = [4, 16]
    /// The grouped block shape: 8 consecutive rows share each kept block of 2 columns.
    public static let groupHeight = 8
    public static let groupWidth = 2

    /// 1, or `groupHeight` for grouped blocks.
    public var blockHeight: Int = 1
    public var blockWidth: Int
    public var rows: Int
    public var columns: Int
    public var blockCount: Int

    public init(blockHeight: Int = 1, blockWidth: Int, rows: Int, columns: Int, blockCount: Int) {
        self.blockHeight = blockHeight
        self.blockWidth = blockWidth
        self.rows = rows
        self.columns = columns
        self.blockCount = blockCount
    }

    /// The header of a layout-1 tensor that `validate` accepted (no checks: call only then).
    public init(validatedAt base: UnsafeRawPointer) {
        let header = UnsafeRawBufferPointer(start: base, count: Self.headerSize)
        self.init(blockHeight: Int(header.le32(0)), blockWidth: Int(header.le32(4)), rows: Int(header.le32(8)), columns: Int(header.le32(12)),
                  blockCount: Int(header.le32(16)))
    }

    /// Row pointers cover this many block rows (rows, or groups of `blockHeight` rows).
    public var blockRows: Int { (rows + blockHeight - 1) / blockHeight }
    public var rowPtrOffset: Int { Self.headerSize }
    public var blockColOffset: Int { Self.headerSize + (blockRows + 1) * 4 }
    public var valuesOffset: Int { (blockColOffset + blockCount * 2 + 15) / 16 * 16 }
    public var byteSize: Int { valuesOffset + blockCount * blockHeight * blockWidth }

    /// Checks a layout-1 tensor's bytes against its shape: header, sizes, row pointers and
    /// block columns. `bytes` are the tensor's `byteSize` bytes.
    public static func validate(_ bytes: UnsafeRawBufferPointer, shape: Shape, object: String) throws(EdgeError) -> SparseWeights {
        if !(shape.rank == 2 || (shape.rank == 4 && shape[1] == 1 && shape[2] == 1)) {
            throw .format(object, "block-sparse weights have shape @; they must be [out, in] or [out, 1, 1, in]", 0, text: shape.text)
        }
        if bytes.count < headerSize { throw .format(object, "block-sparse weights of % bytes lack the 32-byte header", bytes.count) }
        let blockH = Int(bytes.le32(0)), blockW = Int(bytes.le32(4)), rows = Int(bytes.le32(8)), columns = Int(bytes.le32(12))
        let blocks = Int(bytes.le32(16))
        if !((blockH == 1 && blockWidths.contains(blockW)) || (blockH == groupHeight && blockW == groupWidth)) {
            throw .format(object, "block shape %x% is not 1x4, 1x16 or 8x2", blockH, blockW)
        }
        if rows != shape[0] || columns != shape[shape.rank - 1] {
            throw .format(object, "block-sparse header says % rows x % columns for shape @", rows, columns, text: shape.text)
        }
        if columns % blockW != 0 { throw .format(object, "% columns are not a multiple of the block width %", columns, blockW) }
        try EdgeError.checkReserved(bytes, 0, 20, 12, object, "block-sparse header")
        let blockColumns = columns / blockW, blockRows = (rows + blockH - 1) / blockH
        if blocks > blockRows * blockColumns {
            throw .format(object, "block count % exceeds the % blocks of a %x% matrix", blocks, blockRows * blockColumns, rows, columns)
        }
        let w = SparseWeights(blockHeight: blockH, blockWidth: blockW, rows: rows, columns: columns, blockCount: blocks)
        if w.byteSize != bytes.count {
            throw .format(object, EdgeError.filled("byte size % does not match % blocks of %x% in ", bytes.count, blocks, blockH, blockW, text: "", text2: "")
                          + EdgeError.filled("% rows (% bytes)", rows, w.byteSize, 0, 0, text: "", text2: ""))
        }
        var previousEnd = 0
        for r in 0..<blockRows {
            let begin = Int(bytes.le32(w.rowPtrOffset + 4 * r)), end = Int(bytes.le32(w.rowPtrOffset + 4 * r + 4))
            if begin != previousEnd || end < begin || end > blocks {
                throw .format(object, "row pointer % spans blocks %..<%; rows must tile 0..<% in order", r, begin, end, blocks)
            }
            var previousColumn = -1
            for b in begin..<end {
                let column = Int(bytes.le16(w.blockColOffset + 2 * b))
                if column <= previousColumn || column >= blockColumns {
                    throw .format(object, "block % of row % has column %; columns must increase within a row and stay below %", b, r, column, blockColumns)
                }
                previousColumn = column
            }
            previousEnd = end
        }
        if previousEnd != blocks { throw .format(object, "row pointers end at block %, the header says %", previousEnd, blocks) }
        for offset in (w.blockColOffset + 2 * blocks)..<w.valuesOffset where bytes[offset] != 0 {
            throw .format(object, "padding byte % before the values is %, must be 0", offset, Int(bytes[offset]))
        }
        // Grouped blocks of a short last group: the rows past the matrix hold zeros.
        if rows % blockH != 0 {
            let last = blockRows - 1
            for b in Int(bytes.le32(w.rowPtrOffset + 4 * last))..<blocks {
                for r in (rows % blockH)..<blockH {
                    for i in 0..<blockW where bytes[w.valuesOffset + (b * blockH + r) * blockW + i] != 0 {
                        throw .format(object, "block % holds a non-zero value for row %, past the % rows", b, last * blockH + r, rows)
                    }
                }
            }
        }
        return w
    }

    /// Encodes a dense row-major `[rows, columns]` int8 matrix, keeping every block of
    /// `blockWidth` columns that holds a non-zero value. Precondition: `columns` is a
    /// multiple of `blockWidth` and below 65536 x `blockWidth`.
    public static func encode(_ dense: [Int8], rows: Int, columns: Int, blockWidth: Int) -> [UInt8] {
        encode(dense, rows: rows, columns: columns, blockHeight: 1, blockWidth: blockWidth)
    }

    /// Encodes a dense row-major `[rows, columns]` int8 matrix in blocks of `blockHeight` rows
    /// (1 or `groupHeight`; a short last group is padded with zero rows) x `blockWidth`
    /// columns, keeping every block that holds a non-zero value.
    public static func encode(_ dense: [Int8], rows: Int, columns: Int, blockHeight: Int, blockWidth: Int) -> [UInt8] {
        precondition(columns % blockWidth == 0 && dense.count == rows * columns, "bad block-sparse encode request")
        var rowPtr: [UInt32] = [0], cols: [UInt16] = [], values: [Int8] = []
        let blockRows = (rows + blockHeight - 1) / blockHeight
        for g in 0..<blockRows {
            for c in 0..<(columns / blockWidth) {
                var block: [Int8] = []
                for r in (g * blockHeight)..<((g + 1) * blockHeight) {
                    if r < rows {
                        block += dense[(r * columns + c * blockWidth)..<(r * columns + (c + 1) * blockWidth)]
                    } else {
                        block += [Int8](repeating: 0, count: blockWidth)
                    }
                }
                if block.contains(where: { $0 != 0 }) {
                    cols.append(UInt16(c))
                    values.append(contentsOf: block)
                }
            }
            rowPtr.append(UInt32(cols.count))
        }
        let w = SparseWeights(blockHeight: blockHeight, blockWidth: blockWidth, rows: rows, columns: columns, blockCount: cols.count)
        var out = [UInt8](repeating: 0, count: w.byteSize)
        func put32(_ v: UInt32, _ at: Int) { for i in 0..<4 { out[at + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) } }
        put32(UInt32(blockHeight), 0)
        put32(UInt32(blockWidth), 4)
        put32(UInt32(rows), 8)
        put32(UInt32(columns), 12)
        put32(UInt32(cols.count), 16)
        for (i, p) in rowPtr.enumerated() { put32(p, w.rowPtrOffset + 4 * i) }
        for (i, c) in cols.enumerated() {
            out[w.blockColOffset + 2 * i] = UInt8(truncatingIfNeeded: c)
            out[w.blockColOffset + 2 * i + 1] = UInt8(truncatingIfNeeded: c >> 8)
        }
        for (i, v) in values.enumerated() { out[w.valuesOffset + i] = UInt8(bitPattern: v) }
        return out
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func le16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }
}
