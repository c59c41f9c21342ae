import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router'
import { http } from './api'
import { useSession } from './stores/session'
import { setLang, i18n } from './lib/i18n'
import './styles.css'
// Components and their styles are imported on demand (unplugin-vue-components); ElMessage is
// imported explicitly in scripts, so its style is imported here, with the base variables.
import 'element-plus/theme-chalk/base.css'
import 'element-plus/theme-chalk/el-message.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(router)

setLang(i18n.lang)

// The session ended elsewhere (expired, signed out in another tab): back to the login page.
http.onUnauthenticated = () => {
  const session = useSession(pinia)
  session.me = null
  const current = router.currentRoute.value
  if (!current.meta.public) router.replace({ name: 'login', query: { redirect: current.fullPath } })
}

app.mount('#app')
