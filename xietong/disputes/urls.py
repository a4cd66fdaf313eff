from xietong.disputes.views import disputes, ladders

app_name = "disputes"
urlpatterns = disputes.urlpatterns + ladders.urlpatterns
