// The ASCII tables of the legacy clients (`neutron net-show`, `net-create`, `port-list`, `nova list`) and of
// `openstack … -f table`:
//
//   +-----------+--------------------------------------+
//   | Field     | Value                                |
//   +-----------+--------------------------------------+
//   | id        | 5f833617-6179-4797-b7c0-7d420d84040c |
//   | subnets   | 2d7a0a58-…                           |
//   |           | 7c1b…                                |      <- a cell that spans lines continues with an empty key
//   +-----------+--------------------------------------+
//
// Transcriptions (the seed) lose the `+---+` borders and add blank lines between rows, so neither is relied upon: a
// table is a run of `|` rows; it ends at a line of prose (`Created a new network:`) or at a new `| Field | Value |`.

import type {ParseProblem} from '../types.js'
import {clip} from '../text.js'
import type {Loose} from './values.js'

/** One record read from a table, with the line of each field for evidence. */
interface TableRecord {
  record: Loose
  /** 1-based line where the record starts. */
  line: number
  fieldLines: Record<string, number>
}

export interface TablesResult {
  records: TableRecord[]
  problems: ParseProblem[]
  /** Did the text hold any table at all? */
  sawTable: boolean
}

const BORDER = /^\+[-+=]*\+?$/
/** NUL (a zero-filled block) and U+FFFD (bytes that were not UTF-8): the marks of a damaged file, as in captures. */
const GARBLED = /[\x00\ufffd]/

interface Row {
  line: number
  cells: string[]
  /** Why the row cannot be trusted (cut short, garbled): the record it belongs to is not read. */
  damaged?: string
}

function splitRow(trimmed: string): string[] {
  return trimmed
    .slice(1, trimmed.endsWith('|') ? -1 : undefined)
    .split('|')
    .map((cell) => cell.trim())
}

function isFieldValueHeader(cells: string[]): boolean {
  return cells.length === 2 && cells[0].toLowerCase() === 'field' && cells[1].toLowerCase() === 'value'
}

/** Groups the `|` rows of a text into tables. A row cut short or garbled is kept, marked damaged, so the reader drops
 * the record it belongs to instead of keeping a record that lost a field; so is the last row of a text that does not
 * end with a newline (cut short). */
function groupRows(text: string, problems: ParseProblem[]): Row[][] {
  const tables: Row[][] = []
  let current: Row[] | undefined
  const lines = text.split(/\r?\n/)
  const cut = text !== '' && !text.endsWith('\n')
  let lastBorder = 0
  lines.forEach((raw, i) => {
    const line = i + 1
    const trimmed = raw.trim()
    const garbled = GARBLED.exec(raw)
    if (garbled) {
      const damaged = 'garbled (NUL or bytes that are not UTF-8)'
      problems.push({line, text: clip(trimmed), message: `${damaged}: the record is not read`})
      if (current) current.push({line, cells: trimmed.startsWith('|') ? splitRow(trimmed) : [], damaged})
      return
    }
    if (BORDER.test(trimmed)) lastBorder = line
    if (trimmed === '' || BORDER.test(trimmed)) return
    if (!trimmed.startsWith('|')) {
      current = undefined
      return
    }
    const last = cut && i === lines.length - 1
    let damaged: string | undefined
    if (!trimmed.endsWith('|') || trimmed.length < 2) damaged = 'table row is cut short (no closing |)'
    else if (last) damaged = 'the last line has no newline: cut short'
    if (damaged) problems.push({line, text: clip(trimmed), message: `${damaged}: the record is not read`})
    const cells = splitRow(trimmed)
    if (!current || (!damaged && isFieldValueHeader(cells))) {
      current = []
      tables.push(current)
    }
    current.push({line, cells, ...(damaged ? {damaged} : {})})
  })
  // The clients close every table with a border; a text that has borders and ends on a row was cut at a line.
  const lastRow = tables.at(-1)?.at(-1)
  if (lastBorder > 0 && lastRow && !lastRow.damaged && lastRow.line > lastBorder) {
    lastRow.damaged = 'the table has no closing +---+ border: cut short'
    problems.push({
      line: lastRow.line,
      text: clip(lastRow.cells.join(' | ')),
      message: `${lastRow.damaged}: the record is not read`,
    })
  }
  return tables
}

function appendCell(record: Loose, key: string, text: string): void {
  const before = record[key]
  record[key] = typeof before === 'string' && before !== '' ? `${before}\n${text}` : text
}

/** `| Field | Value |` tables: one record, a row per field; an empty field name continues the previous field. A
 * damaged row damages the record: undefined. */
function readFieldValue(rows: Row[], problems: ParseProblem[]): TableRecord | undefined {
  if (rows.some((row) => row.damaged)) return undefined
  const record: Loose = {}
  const fieldLines: Record<string, number> = {}
  let last: string | undefined
  for (const row of rows.slice(1)) {
    if (row.cells.length !== 2) {
      problems.push({
        line: row.line,
        text: clip(row.cells.join(' | ')),
        message: `expected 2 cells (field, value), found ${row.cells.length}`,
      })
      continue
    }
    const [field, value] = row.cells
    if (field === '') {
      if (last === undefined)
        problems.push({line: row.line, text: clip(value), message: 'continuation row before any field'})
      else appendCell(record, last, value)
      continue
    }
    record[field] = value
    fieldLines[field] = row.line
    last = field
  }
  return {record, line: rows[0].line, fieldLines}
}

/** List tables (`| ID | Name | … |`): a record per row; a row whose first cell is empty continues the previous one. */
function readList(rows: Row[], problems: ParseProblem[]): TableRecord[] {
  const header = rows[0].cells
  if (rows[0].damaged) return []
  const records: TableRecord[] = []
  /** The record being read was damaged: its continuation rows are dropped with it. */
  let dropping = false
  for (const row of rows.slice(1)) {
    if (row.damaged) {
      // A damaged continuation row (first cell empty, or unreadable) damages the record it continues.
      if (row.cells[0] !== '' && row.cells.length > 1) dropping = true
      else if (!dropping && records.length) {
        records.pop()
        dropping = true
      }
      continue
    }
    if (row.cells[0] === '' && dropping) continue
    dropping = false
    if (row.cells.length !== header.length) {
      problems.push({
        line: row.line,
        text: clip(row.cells.join(' | ')),
        message: `expected ${header.length} cells as in the header, found ${row.cells.length}`,
      })
      continue
    }
    const previous = records.at(-1)
    if (row.cells[0] === '' && previous) {
      header.forEach((key, i) => {
        if (row.cells[i] !== '') appendCell(previous.record, key, row.cells[i])
      })
      continue
    }
    const record: Loose = {}
    const fieldLines: Record<string, number> = {}
    header.forEach((key, i) => {
      record[key] = row.cells[i]
      fieldLines[key] = row.line
    })
    records.push({record, line: row.line, fieldLines})
  }
  return records
}

/** Reads every table in a text into records; never throws. */
export function readTables(text: string): TablesResult {
  const problems: ParseProblem[] = []
  const records: TableRecord[] = []
  const tables = groupRows(text, problems)
  for (const rows of tables) {
    // A header alone is an empty listing (`nova list` with no servers), not a problem.
    if (isFieldValueHeader(rows[0].cells)) {
      const record = rows.length > 1 ? readFieldValue(rows, problems) : undefined
      if (record) records.push(record)
    } else {
      records.push(...readList(rows, problems))
    }
  }
  return {records, problems, sawTable: tables.length > 0}
}
