// Who is signed in, and the reference data every page needs (meta, units), loaded once.

import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api } from '../api'
import type { Me, Meta, MetaEnum, Unit } from '../api/types'
import { enumLabel, i18n } from '../lib/i18n'

export const useSession = defineStore('session', () => {
  const me = ref<Me | null>(null)
  const checked = ref(false)
  const meta = shallowRef<Meta | null>(null)
  const units = shallowRef<Unit[]>([])
  const unitsById = computed(() => new Map(units.value.map((u) => [u.id, u])))

  async function loadMe(): Promise<Me | null> {
    try {
      me.value = await api.me()
    } catch {
      me.value = null
    }
    checked.value = true
    return me.value
  }

  async function login(loginName: string, password: string): Promise<Me> {
    const r = await api.login(loginName, password)
    me.value = r.user
    checked.value = true
    return r.user
  }

  async function logout(): Promise<void> {
    try {
      await api.logout()
    } finally {
      me.value = null
      units.value = []
    }
  }

  /** Meta is public: the tracking page needs no session for it either. Callers racing at start
   *  share one request. */
  let metaLoading: Promise<Meta> | null = null
  async function ensureMeta(): Promise<Meta> {
    if (meta.value) return meta.value
    metaLoading ??= api.meta().then(
      (m) => {
        meta.value = m
        metaLoading = null
        return m
      },
      (e) => {
        metaLoading = null
        throw e
      },
    )
    return metaLoading
  }

  let unitsLoading: Promise<Unit[]> | null = null
  async function ensureUnits(): Promise<Unit[]> {
    if (units.value.length) return units.value
    unitsLoading ??= api.units().then(
      (u) => {
        units.value = u
        unitsLoading = null
        return u
      },
      (e) => {
        unitsLoading = null
        throw e
      },
    )
    return unitsLoading
  }

  /** The label of an enum value in the interface language. */
  function label(name: MetaEnum | 'actions', code: string | null | undefined): string {
    if (!code) return ''
    const list = name === 'actions' ? meta.value?.actions : meta.value?.[name]
    const m = list?.find((x) => x.code === code)
    return enumLabel(i18n.lang, name, code, m?.label)
  }

  return { me, checked, meta, units, unitsById, loadMe, login, logout, ensureMeta, ensureUnits, label }
})
