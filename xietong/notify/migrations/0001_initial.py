import django.db.models.deletion
import xietong.common.clock
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=64, verbose_name='kind')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('body', models.TextField(blank=True, verbose_name='body')),
                ('url', models.CharField(blank=True, max_length=500, verbose_name='link')),
                ('created_at', models.DateTimeField(default=xietong.common.clock.now, verbose_name='created at')),
                ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read at')),
                ('dedupe_key', models.CharField(blank=True, max_length=200, null=True, verbose_name='deduplication key')),
                ('recipient', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
            ],
            options={
                'verbose_name': 'notification',
                'verbose_name_plural': 'notifications',
                'ordering': ('-created_at', '-pk'),
                'indexes': [models.Index(fields=['recipient', 'read_at', '-created_at'], name='notify_notification_inbox')],
                'constraints': [models.UniqueConstraint(fields=('recipient', 'dedupe_key'), name='notify_notification_unique_dedupe_key', violation_error_message='This person has already been sent this notification.')],
            },
        ),
    ]
