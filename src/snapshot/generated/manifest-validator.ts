// Generated from src/snapshot/manifest-schema.ts by `npm run manifest-validator`: do not edit, change the schema.
// @ts-nocheck
import {createRequire} from 'node:module'
const require = createRequire(import.meta.url)
export const validate = validate10
export default validate10
const schema11 = {
  $id: 'neutrace-snapshot-manifest',
  type: 'object',
  required: ['format', 'formatVersion', 'hosts'],
  properties: {
    format: {const: 'neutrace-snapshot'},
    formatVersion: {type: 'integer', minimum: 1},
    toolVersion: {type: 'string'},
    createdAt: {type: 'string'},
    source: {type: 'string'},
    description: {type: 'string'},
    intent: {type: 'array', items: {type: 'string'}},
    hosts: {type: 'array', items: {$ref: '#/$defs/host'}},
    problems: {type: 'array', items: {$ref: '#/$defs/problem'}},
  },
  $defs: {
    host: {
      type: 'object',
      required: ['name', 'captures'],
      properties: {
        name: {type: 'string', minLength: 1},
        roles: {type: 'array', items: {enum: ['control', 'network', 'compute']}},
        address: {type: 'string'},
        status: {enum: ['complete', 'partial', 'unreachable']},
        error: {type: 'string'},
        captures: {type: 'array', items: {$ref: '#/$defs/capture'}},
      },
    },
    capture: {
      type: 'object',
      required: ['spec', 'argv', 'file', 'exitCode'],
      properties: {
        spec: {type: 'string', minLength: 1},
        key: {type: 'string'},
        argv: {type: 'array', items: {type: 'string'}},
        file: {type: 'string', minLength: 1},
        stderrFile: {type: 'string'},
        exitCode: {type: ['integer', 'null']},
        durationMs: {type: 'number', minimum: 0},
        startedAt: {type: 'string'},
        sha256: {type: 'string'},
        error: {type: 'string'},
      },
    },
    problem: {
      type: 'object',
      required: ['host', 'spec', 'message'],
      properties: {
        host: {type: 'string'},
        spec: {type: 'string', minLength: 1},
        kind: {enum: ['rejected', 'truncated']},
        line: {type: 'integer', minimum: 0},
        text: {type: 'string'},
        message: {type: 'string'},
      },
    },
  },
}
const schema14 = {
  type: 'object',
  required: ['host', 'spec', 'message'],
  properties: {
    host: {type: 'string'},
    spec: {type: 'string', minLength: 1},
    kind: {enum: ['rejected', 'truncated']},
    line: {type: 'integer', minimum: 0},
    text: {type: 'string'},
    message: {type: 'string'},
  },
}
const schema12 = {
  type: 'object',
  required: ['name', 'captures'],
  properties: {
    name: {type: 'string', minLength: 1},
    roles: {type: 'array', items: {enum: ['control', 'network', 'compute']}},
    address: {type: 'string'},
    status: {enum: ['complete', 'partial', 'unreachable']},
    error: {type: 'string'},
    captures: {type: 'array', items: {$ref: '#/$defs/capture'}},
  },
}
const schema13 = {
  type: 'object',
  required: ['spec', 'argv', 'file', 'exitCode'],
  properties: {
    spec: {type: 'string', minLength: 1},
    key: {type: 'string'},
    argv: {type: 'array', items: {type: 'string'}},
    file: {type: 'string', minLength: 1},
    stderrFile: {type: 'string'},
    exitCode: {type: ['integer', 'null']},
    durationMs: {type: 'number', minimum: 0},
    startedAt: {type: 'string'},
    sha256: {type: 'string'},
    error: {type: 'string'},
  },
}
const func2 = require('ajv/dist/runtime/ucs2length').default
function validate11(data, {instancePath = '', parentData, parentDataProperty, rootData = data} = {}) {
  let vErrors = null
  let errors = 0
  if (data && typeof data == 'object' && !Array.isArray(data)) {
    if (data.name === undefined) {
      const err0 = {
        instancePath,
        schemaPath: '#/required',
        keyword: 'required',
        params: {missingProperty: 'name'},
        message: "must have required property '" + 'name' + "'",
      }
      if (vErrors === null) {
        vErrors = [err0]
      } else {
        vErrors.push(err0)
      }
      errors++
    }
    if (data.captures === undefined) {
      const err1 = {
        instancePath,
        schemaPath: '#/required',
        keyword: 'required',
        params: {missingProperty: 'captures'},
        message: "must have required property '" + 'captures' + "'",
      }
      if (vErrors === null) {
        vErrors = [err1]
      } else {
        vErrors.push(err1)
      }
      errors++
    }
    if (data.name !== undefined) {
      let data0 = data.name
      if (typeof data0 === 'string') {
        if (func2(data0) < 1) {
          const err2 = {
            instancePath: instancePath + '/name',
            schemaPath: '#/properties/name/minLength',
            keyword: 'minLength',
            params: {limit: 1},
            message: 'must NOT have fewer than 1 characters',
          }
          if (vErrors === null) {
            vErrors = [err2]
          } else {
            vErrors.push(err2)
          }
          errors++
        }
      } else {
        const err3 = {
          instancePath: instancePath + '/name',
          schemaPath: '#/properties/name/type',
          keyword: 'type',
          params: {type: 'string'},
          message: 'must be string',
        }
        if (vErrors === null) {
          vErrors = [err3]
        } else {
          vErrors.push(err3)
        }
        errors++
      }
    }
    if (data.roles !== undefined) {
      let data1 = data.roles
      if (Array.isArray(data1)) {
        const len0 = data1.length
        for (let i0 = 0; i0 < len0; i0++) {
          let data2 = data1[i0]
          if (!(data2 === 'control' || data2 === 'network' || data2 === 'compute')) {
            const err4 = {
              instancePath: instancePath + '/roles/' + i0,
              schemaPath: '#/properties/roles/items/enum',
              keyword: 'enum',
              params: {allowedValues: schema12.properties.roles.items.enum},
              message: 'must be equal to one of the allowed values',
            }
            if (vErrors === null) {
              vErrors = [err4]
            } else {
              vErrors.push(err4)
            }
            errors++
          }
        }
      } else {
        const err5 = {
          instancePath: instancePath + '/roles',
          schemaPath: '#/properties/roles/type',
          keyword: 'type',
          params: {type: 'array'},
          message: 'must be array',
        }
        if (vErrors === null) {
          vErrors = [err5]
        } else {
          vErrors.push(err5)
        }
        errors++
      }
    }
    if (data.address !== undefined) {
      if (typeof data.address !== 'string') {
        const err6 = {
          instancePath: instancePath + '/address',
          schemaPath: '#/properties/address/type',
          keyword: 'type',
          params: {type: 'string'},
          message: 'must be string',
        }
        if (vErrors === null) {
          vErrors = [err6]
        } else {
          vErrors.push(err6)
        }
        errors++
      }
    }
    if (data.status !== undefined) {
      let data4 = data.status
      if (!(data4 === 'complete' || data4 === 'partial' || data4 === 'unreachable')) {
        const err7 = {
          instancePath: instancePath + '/status',
          schemaPath: '#/properties/status/enum',
          keyword: 'enum',
          params: {allowedValues: schema12.properties.status.enum},
          message: 'must be equal to one of the allowed values',
        }
        if (vErrors === null) {
          vErrors = [err7]
        } else {
          vErrors.push(err7)
        }
        errors++
      }
    }
    if (data.error !== undefined) {
      if (typeof data.error !== 'string') {
        const err8 = {
          instancePath: instancePath + '/error',
          schemaPath: '#/properties/error/type',
          keyword: 'type',
          params: {type: 'string'},
          message: 'must be string',
        }
        if (vErrors === null) {
          vErrors = [err8]
        } else {
          vErrors.push(err8)
        }
        errors++
      }
    }
    if (data.captures !== undefined) {
      let data6 = data.captures
      if (Array.isArray(data6)) {
        const len1 = data6.length
        for (let i1 = 0; i1 < len1; i1++) {
          let data7 = data6[i1]
          if (data7 && typeof data7 == 'object' && !Array.isArray(data7)) {
            if (data7.spec === undefined) {
              const err9 = {
                instancePath: instancePath + '/captures/' + i1,
                schemaPath: '#/$defs/capture/required',
                keyword: 'required',
                params: {missingProperty: 'spec'},
                message: "must have required property '" + 'spec' + "'",
              }
              if (vErrors === null) {
                vErrors = [err9]
              } else {
                vErrors.push(err9)
              }
              errors++
            }
            if (data7.argv === undefined) {
              const err10 = {
                instancePath: instancePath + '/captures/' + i1,
                schemaPath: '#/$defs/capture/required',
                keyword: 'required',
                params: {missingProperty: 'argv'},
                message: "must have required property '" + 'argv' + "'",
              }
              if (vErrors === null) {
                vErrors = [err10]
              } else {
                vErrors.push(err10)
              }
              errors++
            }
            if (data7.file === undefined) {
              const err11 = {
                instancePath: instancePath + '/captures/' + i1,
                schemaPath: '#/$defs/capture/required',
                keyword: 'required',
                params: {missingProperty: 'file'},
                message: "must have required property '" + 'file' + "'",
              }
              if (vErrors === null) {
                vErrors = [err11]
              } else {
                vErrors.push(err11)
              }
              errors++
            }
            if (data7.exitCode === undefined) {
              const err12 = {
                instancePath: instancePath + '/captures/' + i1,
                schemaPath: '#/$defs/capture/required',
                keyword: 'required',
                params: {missingProperty: 'exitCode'},
                message: "must have required property '" + 'exitCode' + "'",
              }
              if (vErrors === null) {
                vErrors = [err12]
              } else {
                vErrors.push(err12)
              }
              errors++
            }
            if (data7.spec !== undefined) {
              let data8 = data7.spec
              if (typeof data8 === 'string') {
                if (func2(data8) < 1) {
                  const err13 = {
                    instancePath: instancePath + '/captures/' + i1 + '/spec',
                    schemaPath: '#/$defs/capture/properties/spec/minLength',
                    keyword: 'minLength',
                    params: {limit: 1},
                    message: 'must NOT have fewer than 1 characters',
                  }
                  if (vErrors === null) {
                    vErrors = [err13]
                  } else {
                    vErrors.push(err13)
                  }
                  errors++
                }
              } else {
                const err14 = {
                  instancePath: instancePath + '/captures/' + i1 + '/spec',
                  schemaPath: '#/$defs/capture/properties/spec/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err14]
                } else {
                  vErrors.push(err14)
                }
                errors++
              }
            }
            if (data7.key !== undefined) {
              if (typeof data7.key !== 'string') {
                const err15 = {
                  instancePath: instancePath + '/captures/' + i1 + '/key',
                  schemaPath: '#/$defs/capture/properties/key/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err15]
                } else {
                  vErrors.push(err15)
                }
                errors++
              }
            }
            if (data7.argv !== undefined) {
              let data10 = data7.argv
              if (Array.isArray(data10)) {
                const len2 = data10.length
                for (let i2 = 0; i2 < len2; i2++) {
                  if (typeof data10[i2] !== 'string') {
                    const err16 = {
                      instancePath: instancePath + '/captures/' + i1 + '/argv/' + i2,
                      schemaPath: '#/$defs/capture/properties/argv/items/type',
                      keyword: 'type',
                      params: {type: 'string'},
                      message: 'must be string',
                    }
                    if (vErrors === null) {
                      vErrors = [err16]
                    } else {
                      vErrors.push(err16)
                    }
                    errors++
                  }
                }
              } else {
                const err17 = {
                  instancePath: instancePath + '/captures/' + i1 + '/argv',
                  schemaPath: '#/$defs/capture/properties/argv/type',
                  keyword: 'type',
                  params: {type: 'array'},
                  message: 'must be array',
                }
                if (vErrors === null) {
                  vErrors = [err17]
                } else {
                  vErrors.push(err17)
                }
                errors++
              }
            }
            if (data7.file !== undefined) {
              let data12 = data7.file
              if (typeof data12 === 'string') {
                if (func2(data12) < 1) {
                  const err18 = {
                    instancePath: instancePath + '/captures/' + i1 + '/file',
                    schemaPath: '#/$defs/capture/properties/file/minLength',
                    keyword: 'minLength',
                    params: {limit: 1},
                    message: 'must NOT have fewer than 1 characters',
                  }
                  if (vErrors === null) {
                    vErrors = [err18]
                  } else {
                    vErrors.push(err18)
                  }
                  errors++
                }
              } else {
                const err19 = {
                  instancePath: instancePath + '/captures/' + i1 + '/file',
                  schemaPath: '#/$defs/capture/properties/file/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err19]
                } else {
                  vErrors.push(err19)
                }
                errors++
              }
            }
            if (data7.stderrFile !== undefined) {
              if (typeof data7.stderrFile !== 'string') {
                const err20 = {
                  instancePath: instancePath + '/captures/' + i1 + '/stderrFile',
                  schemaPath: '#/$defs/capture/properties/stderrFile/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err20]
                } else {
                  vErrors.push(err20)
                }
                errors++
              }
            }
            if (data7.exitCode !== undefined) {
              let data14 = data7.exitCode
              if (!(typeof data14 == 'number' && !(data14 % 1) && !isNaN(data14)) && data14 !== null) {
                const err21 = {
                  instancePath: instancePath + '/captures/' + i1 + '/exitCode',
                  schemaPath: '#/$defs/capture/properties/exitCode/type',
                  keyword: 'type',
                  params: {type: schema13.properties.exitCode.type},
                  message: 'must be integer,null',
                }
                if (vErrors === null) {
                  vErrors = [err21]
                } else {
                  vErrors.push(err21)
                }
                errors++
              }
            }
            if (data7.durationMs !== undefined) {
              let data15 = data7.durationMs
              if (typeof data15 == 'number') {
                if (data15 < 0 || isNaN(data15)) {
                  const err22 = {
                    instancePath: instancePath + '/captures/' + i1 + '/durationMs',
                    schemaPath: '#/$defs/capture/properties/durationMs/minimum',
                    keyword: 'minimum',
                    params: {comparison: '>=', limit: 0},
                    message: 'must be >= 0',
                  }
                  if (vErrors === null) {
                    vErrors = [err22]
                  } else {
                    vErrors.push(err22)
                  }
                  errors++
                }
              } else {
                const err23 = {
                  instancePath: instancePath + '/captures/' + i1 + '/durationMs',
                  schemaPath: '#/$defs/capture/properties/durationMs/type',
                  keyword: 'type',
                  params: {type: 'number'},
                  message: 'must be number',
                }
                if (vErrors === null) {
                  vErrors = [err23]
                } else {
                  vErrors.push(err23)
                }
                errors++
              }
            }
            if (data7.startedAt !== undefined) {
              if (typeof data7.startedAt !== 'string') {
                const err24 = {
                  instancePath: instancePath + '/captures/' + i1 + '/startedAt',
                  schemaPath: '#/$defs/capture/properties/startedAt/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err24]
                } else {
                  vErrors.push(err24)
                }
                errors++
              }
            }
            if (data7.sha256 !== undefined) {
              if (typeof data7.sha256 !== 'string') {
                const err25 = {
                  instancePath: instancePath + '/captures/' + i1 + '/sha256',
                  schemaPath: '#/$defs/capture/properties/sha256/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err25]
                } else {
                  vErrors.push(err25)
                }
                errors++
              }
            }
            if (data7.error !== undefined) {
              if (typeof data7.error !== 'string') {
                const err26 = {
                  instancePath: instancePath + '/captures/' + i1 + '/error',
                  schemaPath: '#/$defs/capture/properties/error/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err26]
                } else {
                  vErrors.push(err26)
                }
                errors++
              }
            }
          } else {
            const err27 = {
              instancePath: instancePath + '/captures/' + i1,
              schemaPath: '#/$defs/capture/type',
              keyword: 'type',
              params: {type: 'object'},
              message: 'must be object',
            }
            if (vErrors === null) {
              vErrors = [err27]
            } else {
              vErrors.push(err27)
            }
            errors++
          }
        }
      } else {
        const err28 = {
          instancePath: instancePath + '/captures',
          schemaPath: '#/properties/captures/type',
          keyword: 'type',
          params: {type: 'array'},
          message: 'must be array',
        }
        if (vErrors === null) {
          vErrors = [err28]
        } else {
          vErrors.push(err28)
        }
        errors++
      }
    }
  } else {
    const err29 = {
      instancePath,
      schemaPath: '#/type',
      keyword: 'type',
      params: {type: 'object'},
      message: 'must be object',
    }
    if (vErrors === null) {
      vErrors = [err29]
    } else {
      vErrors.push(err29)
    }
    errors++
  }
  validate11.errors = vErrors
  return errors === 0
}
function validate10(data, {instancePath = '', parentData, parentDataProperty, rootData = data} = {}) {
  /*# sourceURL="neutrace-snapshot-manifest" */ let vErrors = null
  let errors = 0
  if (data && typeof data == 'object' && !Array.isArray(data)) {
    if (data.format === undefined) {
      const err0 = {
        instancePath,
        schemaPath: '#/required',
        keyword: 'required',
        params: {missingProperty: 'format'},
        message: "must have required property '" + 'format' + "'",
      }
      if (vErrors === null) {
        vErrors = [err0]
      } else {
        vErrors.push(err0)
      }
      errors++
    }
    if (data.formatVersion === undefined) {
      const err1 = {
        instancePath,
        schemaPath: '#/required',
        keyword: 'required',
        params: {missingProperty: 'formatVersion'},
        message: "must have required property '" + 'formatVersion' + "'",
      }
      if (vErrors === null) {
        vErrors = [err1]
      } else {
        vErrors.push(err1)
      }
      errors++
    }
    if (data.hosts === undefined) {
      const err2 = {
        instancePath,
        schemaPath: '#/required',
        keyword: 'required',
        params: {missingProperty: 'hosts'},
        message: "must have required property '" + 'hosts' + "'",
      }
      if (vErrors === null) {
        vErrors = [err2]
      } else {
        vErrors.push(err2)
      }
      errors++
    }
    if (data.format !== undefined) {
      if ('neutrace-snapshot' !== data.format) {
        const err3 = {
          instancePath: instancePath + '/format',
          schemaPath: '#/properties/format/const',
          keyword: 'const',
          params: {allowedValue: 'neutrace-snapshot'},
          message: 'must be equal to constant',
        }
        if (vErrors === null) {
          vErrors = [err3]
        } else {
          vErrors.push(err3)
        }
        errors++
      }
    }
    if (data.formatVersion !== undefined) {
      let data1 = data.formatVersion
      if (!(typeof data1 == 'number' && !(data1 % 1) && !isNaN(data1))) {
        const err4 = {
          instancePath: instancePath + '/formatVersion',
          schemaPath: '#/properties/formatVersion/type',
          keyword: 'type',
          params: {type: 'integer'},
          message: 'must be integer',
        }
        if (vErrors === null) {
          vErrors = [err4]
        } else {
          vErrors.push(err4)
        }
        errors++
      }
      if (typeof data1 == 'number') {
        if (data1 < 1 || isNaN(data1)) {
          const err5 = {
            instancePath: instancePath + '/formatVersion',
            schemaPath: '#/properties/formatVersion/minimum',
            keyword: 'minimum',
            params: {comparison: '>=', limit: 1},
            message: 'must be >= 1',
          }
          if (vErrors === null) {
            vErrors = [err5]
          } else {
            vErrors.push(err5)
          }
          errors++
        }
      }
    }
    if (data.toolVersion !== undefined) {
      if (typeof data.toolVersion !== 'string') {
        const err6 = {
          instancePath: instancePath + '/toolVersion',
          schemaPath: '#/properties/toolVersion/type',
          keyword: 'type',
          params: {type: 'string'},
          message: 'must be string',
        }
        if (vErrors === null) {
          vErrors = [err6]
        } else {
          vErrors.push(err6)
        }
        errors++
      }
    }
    if (data.createdAt !== undefined) {
      if (typeof data.createdAt !== 'string') {
        const err7 = {
          instancePath: instancePath + '/createdAt',
          schemaPath: '#/properties/createdAt/type',
          keyword: 'type',
          params: {type: 'string'},
          message: 'must be string',
        }
        if (vErrors === null) {
          vErrors = [err7]
        } else {
          vErrors.push(err7)
        }
        errors++
      }
    }
    if (data.source !== undefined) {
      if (typeof data.source !== 'string') {
        const err8 = {
          instancePath: instancePath + '/source',
          schemaPath: '#/properties/source/type',
          keyword: 'type',
          params: {type: 'string'},
          message: 'must be string',
        }
        if (vErrors === null) {
          vErrors = [err8]
        } else {
          vErrors.push(err8)
        }
        errors++
      }
    }
    if (data.description !== undefined) {
      if (typeof data.description !== 'string') {
        const err9 = {
          instancePath: instancePath + '/description',
          schemaPath: '#/properties/description/type',
          keyword: 'type',
          params: {type: 'string'},
          message: 'must be string',
        }
        if (vErrors === null) {
          vErrors = [err9]
        } else {
          vErrors.push(err9)
        }
        errors++
      }
    }
    if (data.intent !== undefined) {
      let data6 = data.intent
      if (Array.isArray(data6)) {
        const len0 = data6.length
        for (let i0 = 0; i0 < len0; i0++) {
          if (typeof data6[i0] !== 'string') {
            const err10 = {
              instancePath: instancePath + '/intent/' + i0,
              schemaPath: '#/properties/intent/items/type',
              keyword: 'type',
              params: {type: 'string'},
              message: 'must be string',
            }
            if (vErrors === null) {
              vErrors = [err10]
            } else {
              vErrors.push(err10)
            }
            errors++
          }
        }
      } else {
        const err11 = {
          instancePath: instancePath + '/intent',
          schemaPath: '#/properties/intent/type',
          keyword: 'type',
          params: {type: 'array'},
          message: 'must be array',
        }
        if (vErrors === null) {
          vErrors = [err11]
        } else {
          vErrors.push(err11)
        }
        errors++
      }
    }
    if (data.hosts !== undefined) {
      let data8 = data.hosts
      if (Array.isArray(data8)) {
        const len1 = data8.length
        for (let i1 = 0; i1 < len1; i1++) {
          if (
            !validate11(data8[i1], {
              instancePath: instancePath + '/hosts/' + i1,
              parentData: data8,
              parentDataProperty: i1,
              rootData,
            })
          ) {
            vErrors = vErrors === null ? validate11.errors : vErrors.concat(validate11.errors)
            errors = vErrors.length
          }
        }
      } else {
        const err12 = {
          instancePath: instancePath + '/hosts',
          schemaPath: '#/properties/hosts/type',
          keyword: 'type',
          params: {type: 'array'},
          message: 'must be array',
        }
        if (vErrors === null) {
          vErrors = [err12]
        } else {
          vErrors.push(err12)
        }
        errors++
      }
    }
    if (data.problems !== undefined) {
      let data10 = data.problems
      if (Array.isArray(data10)) {
        const len2 = data10.length
        for (let i2 = 0; i2 < len2; i2++) {
          let data11 = data10[i2]
          if (data11 && typeof data11 == 'object' && !Array.isArray(data11)) {
            if (data11.host === undefined) {
              const err13 = {
                instancePath: instancePath + '/problems/' + i2,
                schemaPath: '#/$defs/problem/required',
                keyword: 'required',
                params: {missingProperty: 'host'},
                message: "must have required property '" + 'host' + "'",
              }
              if (vErrors === null) {
                vErrors = [err13]
              } else {
                vErrors.push(err13)
              }
              errors++
            }
            if (data11.spec === undefined) {
              const err14 = {
                instancePath: instancePath + '/problems/' + i2,
                schemaPath: '#/$defs/problem/required',
                keyword: 'required',
                params: {missingProperty: 'spec'},
                message: "must have required property '" + 'spec' + "'",
              }
              if (vErrors === null) {
                vErrors = [err14]
              } else {
                vErrors.push(err14)
              }
              errors++
            }
            if (data11.message === undefined) {
              const err15 = {
                instancePath: instancePath + '/problems/' + i2,
                schemaPath: '#/$defs/problem/required',
                keyword: 'required',
                params: {missingProperty: 'message'},
                message: "must have required property '" + 'message' + "'",
              }
              if (vErrors === null) {
                vErrors = [err15]
              } else {
                vErrors.push(err15)
              }
              errors++
            }
            if (data11.host !== undefined) {
              if (typeof data11.host !== 'string') {
                const err16 = {
                  instancePath: instancePath + '/problems/' + i2 + '/host',
                  schemaPath: '#/$defs/problem/properties/host/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err16]
                } else {
                  vErrors.push(err16)
                }
                errors++
              }
            }
            if (data11.spec !== undefined) {
              let data13 = data11.spec
              if (typeof data13 === 'string') {
                if (func2(data13) < 1) {
                  const err17 = {
                    instancePath: instancePath + '/problems/' + i2 + '/spec',
                    schemaPath: '#/$defs/problem/properties/spec/minLength',
                    keyword: 'minLength',
                    params: {limit: 1},
                    message: 'must NOT have fewer than 1 characters',
                  }
                  if (vErrors === null) {
                    vErrors = [err17]
                  } else {
                    vErrors.push(err17)
                  }
                  errors++
                }
              } else {
                const err18 = {
                  instancePath: instancePath + '/problems/' + i2 + '/spec',
                  schemaPath: '#/$defs/problem/properties/spec/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err18]
                } else {
                  vErrors.push(err18)
                }
                errors++
              }
            }
            if (data11.kind !== undefined) {
              let data14 = data11.kind
              if (!(data14 === 'rejected' || data14 === 'truncated')) {
                const err19 = {
                  instancePath: instancePath + '/problems/' + i2 + '/kind',
                  schemaPath: '#/$defs/problem/properties/kind/enum',
                  keyword: 'enum',
                  params: {allowedValues: schema14.properties.kind.enum},
                  message: 'must be equal to one of the allowed values',
                }
                if (vErrors === null) {
                  vErrors = [err19]
                } else {
                  vErrors.push(err19)
                }
                errors++
              }
            }
            if (data11.line !== undefined) {
              let data15 = data11.line
              if (!(typeof data15 == 'number' && !(data15 % 1) && !isNaN(data15))) {
                const err20 = {
                  instancePath: instancePath + '/problems/' + i2 + '/line',
                  schemaPath: '#/$defs/problem/properties/line/type',
                  keyword: 'type',
                  params: {type: 'integer'},
                  message: 'must be integer',
                }
                if (vErrors === null) {
                  vErrors = [err20]
                } else {
                  vErrors.push(err20)
                }
                errors++
              }
              if (typeof data15 == 'number') {
                if (data15 < 0 || isNaN(data15)) {
                  const err21 = {
                    instancePath: instancePath + '/problems/' + i2 + '/line',
                    schemaPath: '#/$defs/problem/properties/line/minimum',
                    keyword: 'minimum',
                    params: {comparison: '>=', limit: 0},
                    message: 'must be >= 0',
                  }
                  if (vErrors === null) {
                    vErrors = [err21]
                  } else {
                    vErrors.push(err21)
                  }
                  errors++
                }
              }
            }
            if (data11.text !== undefined) {
              if (typeof data11.text !== 'string') {
                const err22 = {
                  instancePath: instancePath + '/problems/' + i2 + '/text',
                  schemaPath: '#/$defs/problem/properties/text/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err22]
                } else {
                  vErrors.push(err22)
                }
                errors++
              }
            }
            if (data11.message !== undefined) {
              if (typeof data11.message !== 'string') {
                const err23 = {
                  instancePath: instancePath + '/problems/' + i2 + '/message',
                  schemaPath: '#/$defs/problem/properties/message/type',
                  keyword: 'type',
                  params: {type: 'string'},
                  message: 'must be string',
                }
                if (vErrors === null) {
                  vErrors = [err23]
                } else {
                  vErrors.push(err23)
                }
                errors++
              }
            }
          } else {
            const err24 = {
              instancePath: instancePath + '/problems/' + i2,
              schemaPath: '#/$defs/problem/type',
              keyword: 'type',
              params: {type: 'object'},
              message: 'must be object',
            }
            if (vErrors === null) {
              vErrors = [err24]
            } else {
              vErrors.push(err24)
            }
            errors++
          }
        }
      } else {
        const err25 = {
          instancePath: instancePath + '/problems',
          schemaPath: '#/properties/problems/type',
          keyword: 'type',
          params: {type: 'array'},
          message: 'must be array',
        }
        if (vErrors === null) {
          vErrors = [err25]
        } else {
          vErrors.push(err25)
        }
        errors++
      }
    }
  } else {
    const err26 = {
      instancePath,
      schemaPath: '#/type',
      keyword: 'type',
      params: {type: 'object'},
      message: 'must be object',
    }
    if (vErrors === null) {
      vErrors = [err26]
    } else {
      vErrors.push(err26)
    }
    errors++
  }
  validate10.errors = vErrors
  return errors === 0
}
