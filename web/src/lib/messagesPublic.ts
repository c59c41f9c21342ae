// Interface strings of the public statistics page (公开数据), merged into messages.ts.

import type { Dict } from './messages'

export const publicZh: Dict = {
  'pub.title': '12345 热线公开数据',
  'pub.subtitle': '近 12 个月全市诉求受理与办理情况（每分钟更新）',
  'pub.received': '受理量',
  'pub.closed': '办结量',
  'pub.response': '响应率',
  'pub.resolution': '解决率',
  'pub.satisfaction': '满意率',
  'pub.onTime': '按时办结率',
  'pub.month': '月份',
  'pub.byMonth': '按月统计',
  'pub.categories': '本月诉求较多的类别',
  'pub.none': '暂无数据',
  'pub.track': '查询我的诉求进度',
  'pub.updated': '统计时间：{at}',
  'pub.link': '公开数据',
}

export const publicEn: Dict = {
  'pub.title': '12345 hotline: public figures',
  'pub.subtitle': 'Requests received and handled city-wide over the last 12 months (updated every minute)',
  'pub.received': 'Received',
  'pub.closed': 'Closed',
  'pub.response': 'Response rate',
  'pub.resolution': 'Resolution rate',
  'pub.satisfaction': 'Satisfaction rate',
  'pub.onTime': 'On-time rate',
  'pub.month': 'Month',
  'pub.byMonth': 'By month',
  'pub.categories': 'Most frequent categories this month',
  'pub.none': 'No data yet',
  'pub.track': 'Track my request',
  'pub.updated': 'As of {at}',
  'pub.link': 'Public figures',
}
